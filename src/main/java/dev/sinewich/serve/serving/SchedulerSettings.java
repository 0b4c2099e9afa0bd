package dev.sinewich.serve.serving;

import java.time.Duration;

/**
 * How the scheduler queues and batches.
 *
 * @param workers passes that may run at once
 * @param queueCapacity requests that may wait; one more is refused at once
 * @param maxBatchSize a pass stops growing at this many rows (image × task): {@code sinewich.inference.max-batch-size}
 * @param maxDelay how long the first request of a pass waits for others to join it
 * @param timeout how long a request may take from acceptance when it names no timeout of its own
 * @param maxTimeout the longest timeout a request may ask for
 * @param maxOutputValues the most output values (channels · N · h · w) one request may produce
 */
public record SchedulerSettings(int workers, int queueCapacity, int maxBatchSize, Duration maxDelay,
        Duration timeout, Duration maxTimeout, long maxOutputValues) {

    /**
     * Settings with no limit on a request's output values.
     *
     * @param workers passes that may run at once
     * @param queueCapacity requests that may wait
     * @param maxBatchSize a pass stops growing at this many rows
     * @param maxDelay how long the first request of a pass waits for others
     * @param timeout how long a request that names no timeout may take
     * @param maxTimeout the longest timeout a request may ask for
     */
    public SchedulerSettings(int workers, int queueCapacity, int maxBatchSize, Duration maxDelay,
            Duration timeout, Duration maxTimeout) {
        this(workers, queueCapacity, maxBatchSize, maxDelay, timeout, maxTimeout, Long.MAX_VALUE);
    }

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException for a non-positive count or a negative duration
     */
    public SchedulerSettings {
        if (workers < 1 || queueCapacity < 1 || maxBatchSize < 1 || maxOutputValues < 1) {
            throw new IllegalArgumentException("workers, queue capacity, max batch size and max output values must be ≥ 1");
        }
        if (maxDelay.isNegative() || timeout.isNegative() || timeout.isZero()
                || maxTimeout.compareTo(timeout) < 0) {
            throw new IllegalArgumentException("max delay must be ≥ 0 and 0 < timeout ≤ max timeout");
        }
    }
}
