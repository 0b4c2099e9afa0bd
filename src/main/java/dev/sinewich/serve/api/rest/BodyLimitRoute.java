package dev.sinewich.serve.api.rest;

import dev.sinewich.serve.api.BodyTooLargeException;
import dev.sinewich.serve.api.Failure;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses a request whose {@code Content-Length} is over {@code quarkus.http.limits.max-body-size}
 * with 413 and the usual JSON error body, before the body is read. Quarkus refuses such a request
 * too, but with an empty body; this route runs before the body is read, so callers learn the size
 * and the limit at once. A body of unknown length (chunked) that grows past the limit is cut off
 * while it is read ({@link RequestBodyRoute}). Stateless and thread-safe.
 */
@ApplicationScoped
public class BodyLimitRoute {

    /**
     * Before {@link RequestBodyRoute} (which reads the body) and Quarkus's upload-limit route
     * ({@code RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT}, −2).
     */
    static final int ORDER = -4;

    private final long limit;

    /**
     * Creates the route.
     *
     * @param limit the HTTP server's body limit
     */
    public BodyLimitRoute(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize limit) {
        this.limit = limit.asLongValue();
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(this::check);
    }

    private void check(RoutingContext ctx) {
        String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        long declared = -1;
        if (length != null) {
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                declared = -1; // the HTTP codec refuses a malformed Content-Length itself
            }
        }
        if (declared <= limit) {
            ctx.next();
            return;
        }
        refuse(ctx, new BodyTooLargeException("the request body has " + declared + " bytes, more than the limit of "
                + limit + " bytes (quarkus.http.limits.max-body-size)"));
    }

    /**
     * Answers with the failure's status and JSON message, then closes the connection, since the
     * unread body cannot be skipped.
     */
    static void refuse(RoutingContext ctx, RuntimeException failure) {
        answer(ctx, failure, done -> ctx.request().connection().close());
    }

    /**
     * Sends the failure's status and JSON message with {@code Connection: close}.
     *
     * @param ctx the exchange
     * @param failure why the request is refused
     * @param written what to do once the answer is written (close the connection, or nothing when
     *     the caller closes it after reading and dropping the rest of the body, so that a client
     *     still sending reads the answer instead of a reset connection)
     */
    static void answer(RoutingContext ctx, RuntimeException failure, Handler<Void> written) {
        Failure f = Failure.of(failure);
        if (f.retryable()) {
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
        }
        ctx.response().setStatusCode(f.httpStatus())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONNECTION, "close")
                .endHandler(written)
                .end(new JsonObject().put("error", f.message()).encode());
    }
}
