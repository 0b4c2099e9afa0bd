package dev.sinewich.serve.api.rest;

import dev.sinewich.serve.api.Failure;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Maps failures to HTTP responses as {@link Failure} decides. Bodies are {@code {"error": "..."}}
 * with a message for the caller, never a stack trace.
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
        if (failure instanceof WebApplicationException) {
            Response r = ((WebApplicationException) failure).getResponse();
            return error(r.getStatus(), r.getStatusInfo().getReasonPhrase());
        }
        Failure f = Failure.of(failure);
        if (f.internal()) {
            LOG.error("request failed", failure);
        }
        Response response = error(f.httpStatus(), f.message());
        return f.retryable() ? Response.fromResponse(response).header("Retry-After", "1").build() : response;
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(Map.of("error", message)).build();
    }
}
