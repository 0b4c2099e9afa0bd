package dev.sinewich.serve.bench.load;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Collects the outcomes of one phase of a run and summarises them. Thread-safe while collecting
 * ({@link #add}); {@link #summary} is called once the phase is over.
 */
public final class Phase {

    private final String name;
    private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    private volatile long maxSendLagNanos;

    /**
     * Starts collecting.
     *
     * @param name the phase's name in reports
     */
    public Phase(String name) {
        this.name = name;
    }

    /**
     * Records an outcome.
     *
     * @param outcome the outcome
     */
    public void add(Outcome outcome) {
        outcomes.add(outcome);
    }

    /**
     * Records how late the generator sent a request after its scheduled time (a busy client shows here).
     *
     * @param lagNanos the lag
     */
    public synchronized void sendLag(long lagNanos) {
        maxSendLagNanos = Math.max(maxSendLagNanos, lagNanos);
    }

    /**
     * Summarises the phase.
     *
     * @param offeredRate the rate the phase offered, requests/s (0 for closed loop)
     * @param seconds how long the phase sent requests
     * @return the summary
     */
    public Summary summary(double offeredRate, double seconds) {
        Map<String, Long> byStatus = new TreeMap<>();
        Map<String, Long> transport = new TreeMap<>();
        Map<String, Long> byApi = new TreeMap<>();
        long successes = 0;
        long rejected = 0;
        long[] ok = new long[outcomes.size()];
        int n = 0;
        for (Outcome o : outcomes) {
            byStatus.merge(o.status(), 1L, Long::sum);
            byApi.merge(o.api().label() + " " + o.status(), 1L, Long::sum);
            if (o.transport()) {
                transport.merge(o.transportError(), 1L, Long::sum);
            } else if (o.success()) {
                successes++;
                ok[n++] = o.latencyNanos();
            } else if (o.rejected()) {
                rejected++;
            }
        }
        long[] latencies = Arrays.copyOf(ok, n);
        Arrays.sort(latencies);
        long total = outcomes.size();
        return new Summary(name, total, seconds, offeredRate, successes / seconds, successes, rejected,
                total - successes - rejected - transport.values().stream().mapToLong(Long::longValue).sum(),
                byStatus, byApi, transport, new Summary.Latency(percentile(latencies, 0.50),
                        percentile(latencies, 0.90), percentile(latencies, 0.99),
                        latencies.length == 0 ? 0 : latencies[latencies.length - 1] / 1e6),
                maxSendLagNanos / 1e6);
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }
}
