package dev.sinewich.serve.bench.load;

import java.util.Set;

/**
 * How one request ended, as the client saw it. Immutable.
 *
 * @param api the surface
 * @param status {@code http 200}, {@code grpc RESOURCE_EXHAUSTED}, … or {@code transport} when no
 *     response came
 * @param transportError what broke when no response came (connection_reset, timeout,
 *     connection_refused, closed, io_error), else {@code null}
 * @param latencyNanos from the request's scheduled send time to its end
 */
public record Outcome(Api api, String status, String transportError, long latencyNanos) {

    /** The statuses that mean the server refused work explicitly and asked to be retried later. */
    public static final Set<String> REJECTIONS = Set.of("http 429", "http 503", "grpc RESOURCE_EXHAUSTED",
            "grpc UNAVAILABLE");

    /** The statuses of a success. */
    public static final Set<String> SUCCESSES = Set.of("http 200", "grpc OK");

    /**
     * Tells whether the request succeeded.
     *
     * @return true for 200 or OK
     */
    public boolean success() {
        return SUCCESSES.contains(status);
    }

    /**
     * Tells whether the server refused the request explicitly (429, 503, RESOURCE_EXHAUSTED, UNAVAILABLE).
     *
     * @return true for an explicit refusal
     */
    public boolean rejected() {
        return REJECTIONS.contains(status);
    }

    /**
     * Tells whether the request ended without a response.
     *
     * @return true for a transport error
     */
    public boolean transport() {
        return transportError != null;
    }

    static Outcome transport(Api api, String kind, long latencyNanos) {
        return new Outcome(api, "transport", kind, latencyNanos);
    }
}
