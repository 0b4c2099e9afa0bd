package dev.sinewich.serve.serving;

/**
 * How far apart requests arrive: an exponentially weighted mean of the gaps between acceptances.
 * The scheduler holds a pass back for company only when requests come closer together than its
 * batching delay; a lone caller (one request at a time) is then never kept waiting for requests
 * that are not coming, while under load passes still fill up. Starts at zero gap (waiting, as if
 * busy). Thread-safe.
 */
final class ArrivalGaps {

    /** The weight of the newest gap. */
    private static final double WEIGHT = 0.2;

    private long last = -1;
    private double meanNanos;

    /**
     * Records an acceptance.
     *
     * @param nanos its {@link System#nanoTime()}
     */
    synchronized void arrived(long nanos) {
        if (last >= 0) {
            meanNanos += WEIGHT * ((nanos - last) - meanNanos);
        }
        last = nanos;
    }

    /**
     * Tells whether requests have been arriving closer together than a span.
     *
     * @param nanos the span
     * @return true when the mean gap is shorter
     */
    synchronized boolean closerThan(long nanos) {
        return meanNanos < nanos;
    }
}
