package dev.sinewich.serve.serving;

import java.time.Duration;

/**
 * How the scheduler queues and batches.
 *
 * @param workers passes that may run at once
 * @param queueCapacity requests that may wait; one more is refused at once
 * @param maxBatchRows a pass stops growing at this many rows (image × task)
 * @param maxDelay how long the first request of a pass waits for others to join it
 * @param defaultDeadline how long a request may take from acceptance when it names no deadline
 * @param maxDeadline the longest deadline a request may ask for
 * @param maxOutputValues the most output values (channels · N · h · w) one request may produce
 */
public record SchedulerSettings(int workers, int queueCapacity, int maxBatchRows, Duration maxDelay,
        Duration defaultDeadline, Duration maxDeadline, long maxOutputValues) {

    /**
     * Settings with no limit on a request's output values.
     *
     * @param workers passes that may run at once
     * @param queueCapacity requests that may wait
     * @param maxBatchRows a pass stops growing at this many rows
     * @param maxDelay how long the first request of a pass waits for others
     * @param defaultDeadline the deadline of a request that names none
     * @param maxDeadline the longest deadline a request may ask for
     */
    public SchedulerSettings(int workers, int queueCapacity, int maxBatchRows, Duration maxDelay,
            Duration defaultDeadline, Duration maxDeadline) {
        this(workers, queueCapacity, maxBatchRows, maxDelay, defaultDeadline, maxDeadline, Long.MAX_VALUE);
    }

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException for a non-positive count or a negative duration
     */
    public SchedulerSettings {
        if (workers < 1 || queueCapacity < 1 || maxBatchRows < 1 || maxOutputValues < 1) {
            throw new IllegalArgumentException("workers, queue capacity, max batch size and max output values must be ≥ 1");
        }
        if (maxDelay.isNegative() || defaultDeadline.isNegative() || defaultDeadline.isZero()
                || maxDeadline.compareTo(defaultDeadline) < 0) {
            throw new IllegalArgumentException("max delay must be ≥ 0 and 0 < default deadline ≤ max deadline");
        }
    }
}
