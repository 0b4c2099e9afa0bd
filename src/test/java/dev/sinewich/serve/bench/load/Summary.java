package dev.sinewich.serve.bench.load;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one phase measured. Latencies are of successful requests, in milliseconds, from each
 * request's scheduled send time. Immutable.
 *
 * @param phase the phase's name
 * @param requests requests that ended (with a response or a transport error)
 * @param seconds how long the phase sent requests
 * @param offeredRate the offered rate in requests/s (0 for a closed loop)
 * @param successRate successes per second
 * @param successes requests answered 200 / OK
 * @param rejected requests refused explicitly (429, 503, RESOURCE_EXHAUSTED, UNAVAILABLE)
 * @param otherStatuses requests answered with any other status
 * @param byStatus counts by status
 * @param byApiStatus counts by surface and status
 * @param transportErrors counts of requests that got no response, by what broke
 * @param latency latency percentiles of successes
 * @param maxSendLagMs the most the generator was late sending a request (its own health)
 */
public record Summary(String phase, long requests, double seconds, double offeredRate, double successRate,
        long successes, long rejected, long otherStatuses, Map<String, Long> byStatus, Map<String, Long> byApiStatus,
        Map<String, Long> transportErrors, Latency latency, double maxSendLagMs) {

    /**
     * Latency percentiles in milliseconds.
     *
     * @param p50 the median
     * @param p90 the 90th percentile
     * @param p99 the 99th percentile
     * @param max the maximum
     */
    public record Latency(double p50, double p90, double p99, double max) {}

    /**
     * Returns the number of requests that got no response.
     *
     * @return the transport error count
     */
    public long transportErrorCount() {
        return transportErrors.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Formats the summary for people.
     *
     * @return one block of text
     */
    public String text() {
        String statuses = byStatus.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining(", "));
        return String.format("%-10s %6d requests in %5.1f s%s; ok %.1f/s%n"
                + "           latency ms (ok): p50 %.1f  p90 %.1f  p99 %.1f  max %.1f; send lag max %.1f ms%n"
                + "           statuses: %s%n           transport errors: %s%n",
                phase, requests, seconds, offeredRate > 0 ? String.format(" (offered %.1f/s)", offeredRate) : "",
                successRate, latency.p50, latency.p90, latency.p99, latency.max, maxSendLagMs, statuses,
                transportErrors.isEmpty() ? "none" : transportErrors);
    }
}
