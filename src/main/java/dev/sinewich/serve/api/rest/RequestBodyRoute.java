package dev.sinewich.serve.api.rest;

import dev.sinewich.serve.api.BodyReadTimeoutException;
import dev.sinewich.serve.api.BodyTooLargeException;
import dev.sinewich.serve.serving.CapacityExceededException;
import dev.sinewich.serve.serving.ServingConfig;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.RoutingContextInternal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Reads every request body on the event loop, into memory, before any endpoint runs: the REST
 * layer then reads it from there, so a slow or stalled client never holds a worker thread (reading
 * on a worker would block it for as long as the client dawdles, and a few hundred such clients
 * would starve every other request). Two limits apply while reading: the body size
 * ({@code quarkus.http.limits.max-body-size}: 413, also for a chunked body that grows past it) and
 * the read timeout ({@code sinewich.limits.body-read-timeout}: a client that sends no byte for that
 * long gets 408), and the bytes of all bodies held at once
 * ({@code sinewich.limits.max-inflight-body-bytes}: counted as they arrive and given back when the
 * request is answered or abandoned; past it 429 with {@code Retry-After}). Each answer carries the
 * usual JSON error and closes the connection. Thread-safe (each request's state lives on its own
 * event loop; the in-flight count is atomic).
 */
@ApplicationScoped
public class RequestBodyRoute {

    /** After the declared-length check ({@link BodyLimitRoute#ORDER}), before Quarkus's own body routes. */
    static final int ORDER = BodyLimitRoute.ORDER + 1;

    private final long limit;
    private final long inFlightLimit;
    private final AtomicLong inFlight = new AtomicLong();
    private final long timeoutNanos;
    private final long periodMillis;

    /**
     * Creates the route.
     *
     * @param limit the HTTP server's body limit
     * @param config the server settings (the read timeout)
     */
    public RequestBodyRoute(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize limit,
            ServingConfig config) {
        Duration timeout = config.limits().bodyReadTimeout();
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("sinewich.limits.body-read-timeout must be positive, found " + timeout);
        }
        this.limit = limit.asLongValue();
        this.inFlightLimit = config.limits().maxInflightBodyBytes().asLongValue();
        this.timeoutNanos = timeout.toNanos();
        this.periodMillis = Math.max(10, timeout.toMillis() / 4);
    }

    void install(@Observes Router router) {
        router.route().order(ORDER).handler(this::read);
    }

    private void read(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (request.isEnded() || !declaresBody(request)) {
            ctx.next();
            return;
        }
        Vertx vertx = ctx.vertx();
        Body body = new Body(System.nanoTime());
        long timer = vertx.setPeriodic(periodMillis, id -> {
            if (body.draining) {
                if (System.nanoTime() - body.lastByte >= timeoutNanos) {
                    vertx.cancelTimer(id);
                    request.connection().close();
                }
            } else if (body.done) {
                vertx.cancelTimer(id);
            } else if (System.nanoTime() - body.lastByte >= timeoutNanos) {
                body.done = true;
                vertx.cancelTimer(id);
                BodyLimitRoute.refuse(ctx, new BodyReadTimeoutException("no part of the request body arrived for "
                        + Duration.ofNanos(timeoutNanos).toMillis() + " ms after " + body.buffer.length()
                        + " bytes; the connection is closed (sinewich.limits.body-read-timeout)"));
            }
        });
        ctx.addEndHandler(end -> release(body));
        request.handler(chunk -> {
            if (body.draining) {
                drop(ctx, body, chunk.length());
                return;
            }
            if (body.done) {
                return;
            }
            body.lastByte = System.nanoTime();
            if (inFlight.addAndGet(chunk.length()) > inFlightLimit) {
                inFlight.addAndGet(-chunk.length());
                refuseWhileReading(ctx, body, new CapacityExceededException("the server already holds "
                        + inFlightLimit + " bytes of request bodies, its limit for bodies in flight "
                        + "(sinewich.limits.max-inflight-body-bytes); retry later"));
                return;
            }
            body.reserved += chunk.length();
            if ((long) body.buffer.length() + chunk.length() > limit) {
                refuseWhileReading(ctx, body, new BodyTooLargeException("the request body has more than " + limit
                        + " bytes, the limit (quarkus.http.limits.max-body-size)"));
                return;
            }
            body.buffer.appendBuffer(chunk);
        });
        request.exceptionHandler(failure -> {
            body.done = true; // the client went away; nothing to answer
            body.draining = false;
            vertx.cancelTimer(timer);
            release(body);
        });
        request.endHandler(end -> {
            if (body.draining) {
                body.draining = false;
                vertx.cancelTimer(timer);
                request.connection().close();
                return;
            }
            if (body.done) {
                return;
            }
            body.done = true;
            vertx.cancelTimer(timer);
            ((RoutingContextInternal) ctx).setBody(body.buffer);
            ctx.next();
        });
        request.resume();
    }

    /**
     * Answers a request refused part-way through its body, gives its bytes back, and reads and drops
     * the rest of the body (at most the body limit more, with the same read timeout) before closing
     * the connection: a client still sending then reads the answer, not a reset connection.
     */
    private void refuseWhileReading(RoutingContext ctx, Body body, RuntimeException failure) {
        body.done = true;
        body.draining = true;
        body.buffer = null;
        release(body);
        BodyLimitRoute.answer(ctx, failure, written -> { });
    }

    private void drop(RoutingContext ctx, Body body, int bytes) {
        body.lastByte = System.nanoTime();
        body.dropped += bytes;
        if (body.dropped > limit) {
            body.draining = false;
            ctx.request().connection().close();
        }
    }

    /** Gives back a body's bytes once its request is over (answered, refused or abandoned). */
    private void release(Body body) {
        long bytes = body.reserved;
        body.reserved = 0;
        inFlight.addAndGet(-bytes);
    }

    /**
     * Returns the bytes of request bodies held now (being read, or read and not yet answered).
     *
     * @return the bytes in flight
     */
    public long inFlightBytes() {
        return inFlight.get();
    }

    private static boolean declaresBody(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            return !length.trim().equals("0");
        }
        return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
    }

    /** A body being read: its bytes so far, when the last arrived, and whether it is settled. */
    private static final class Body {
        private Buffer buffer = Buffer.buffer();
        private long lastByte;
        /** Refused while the client was still sending: the rest is read and dropped. */
        private boolean draining;
        private long dropped;
        /** Bytes counted against the in-flight limit, given back when the request is over. */
        private long reserved;
        private boolean done;

        Body(long start) {
            this.lastByte = start;
        }
    }
}
