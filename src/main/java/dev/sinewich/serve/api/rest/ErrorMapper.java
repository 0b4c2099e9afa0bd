package dev.sinewich.serve.api.rest;

import dev.sinewich.serve.api.Failure;
import io.vertx.core.http.HttpServerRequest;
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
     * @param request the request, to see whether its response was already sent
     * @return the error response, or {@code null} when the response was already sent
     */
    @ServerExceptionMapper(Throwable.class)
    public Response map(Throwable failure, HttpServerRequest request) {
        if (request.response().ended()) {
            // the HTTP layer has answered already: a chunked body over the limit gets its 413 while it
            // is read, and the connection is closed; there is nothing left to write
            LOG.debugf("request failed after its response was sent: %s", failure.toString());
            return null;
        }
        if (failure instanceof WebApplicationException) {
            Response r = ((WebApplicationException) failure).getResponse();
            return error(r.getStatus(), r.getStatusInfo().getReasonPhrase());
        }
        Failure f = Failure.of(MultipartErrors.asClientError(failure));
        if (f.internal()) {
            LOG.error("request failed", failure);
        } else {
            // a client's mistake or disconnect: one line, no trace
            LOG.debugf("request refused with %d: %s", f.httpStatus(), f.message());
        }
        Response response = error(f.httpStatus(), f.message());
        return f.retryable() ? Response.fromResponse(response).header("Retry-After", "1").build() : response;
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(Map.of("error", message)).build();
    }
}
