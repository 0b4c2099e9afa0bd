package dev.sinewich.serve.serving;

import java.util.concurrent.atomic.LongAdder;

/**
 * Live counters of the scheduler that no meter derives elsewhere: refusals, expiries, skipped
 * requests and passes (per-pass sizes and times go to {@link PassListener}). Thread-safe.
 */
public final class SchedulerStats {

    final LongAdder rejected = new LongAdder();
    final LongAdder expired = new LongAdder();
    final LongAdder skipped = new LongAdder();
    final LongAdder passes = new LongAdder();

    /** Returns requests refused because the queue was full or the server was stopping. */
    public long rejected() {
        return rejected.sum();
    }

    /** Returns requests that passed their deadline. */
    public long expired() {
        return expired.sum();
    }

    /** Returns requests dropped from a pass because they were already finished (cancelled or expired). */
    public long skipped() {
        return skipped.sum();
    }

    /** Returns forward passes run. */
    public long passes() {
        return passes.sum();
    }
}
