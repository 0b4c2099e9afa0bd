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
 */
public record SchedulerSettings(int workers, int queueCapacity, int maxBatchRows, Duration maxDelay,
        Duration defaultDeadline, Duration maxDeadline) {

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException for a non-positive count or a negative duration
     */
    public SchedulerSettings {
        if (workers < 1 || queueCapacity < 1 || maxBatchRows < 1) {
            throw new IllegalArgumentException("workers, queue capacity and max batch size must be ≥ 1");
        }
        if (maxDelay.isNegative() || defaultDeadline.isNegative() || defaultDeadline.isZero()
                || maxDeadline.compareTo(defaultDeadline) < 0) {
            throw new IllegalArgumentException("max delay must be ≥ 0 and 0 < default deadline ≤ max deadline");
        }
    }
}
