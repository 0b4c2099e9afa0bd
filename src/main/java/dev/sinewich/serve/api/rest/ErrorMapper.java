package dev.sinewich.serve.api.rest;

import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.serving.CapacityExceededException;
import dev.sinewich.serve.serving.DeadlineExceededException;
import dev.sinewich.serve.serving.ModelNotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The one place that maps failures to HTTP statuses. Bodies are {@code {"error": "..."}} with a
 * message for the caller, never a stack trace.
 */
public class ErrorMapper {

    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);

    /**
     * Maps any failure of a request to a response.
     *
     * @param failure what went wrong
     * @return the error response
     */
    @ServerExceptionMapper(Throwable.class)
    public Response map(Throwable failure) {
        Throwable e = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (e instanceof InvalidInputException) {
            return error(400, e.getMessage());
        }
        if (e instanceof ModelNotFoundException) {
            return error(404, e.getMessage());
        }
        if (e instanceof CapacityExceededException) {
            return Response.fromResponse(error(429, e.getMessage())).header("Retry-After", "1").build();
        }
        if (e instanceof DeadlineExceededException) {
            return error(504, e.getMessage());
        }
        if (e instanceof WebApplicationException) {
            Response r = ((WebApplicationException) e).getResponse();
            return error(r.getStatus(), r.getStatusInfo().getReasonPhrase());
        }
        LOG.error("request failed", e);
        return error(500, "internal error; the server log has the details");
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(Map.of("error", message)).build();
    }
}
