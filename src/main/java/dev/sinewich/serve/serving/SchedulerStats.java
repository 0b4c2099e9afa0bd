package dev.sinewich.serve.serving;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** Live counters of the scheduler. Thread-safe. */
public final class SchedulerStats {

    final LongAdder accepted = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder expired = new LongAdder();
    final LongAdder skipped = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder passes = new LongAdder();
    final LongAdder requestsRun = new LongAdder();
    final LongAdder rowsRun = new LongAdder();
    final DoubleAdder computeSeconds = new DoubleAdder();

    void recordPass(int requests, int rows, double seconds) {
        passes.increment();
        requestsRun.add(requests);
        rowsRun.add(rows);
        computeSeconds.add(seconds);
    }

    /** Returns requests accepted into the queue. */
    public long accepted() {
        return accepted.sum();
    }

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

    /** Returns passes that failed with an internal error. */
    public long failed() {
        return failed.sum();
    }

    /** Returns forward passes run. */
    public long passes() {
        return passes.sum();
    }

    /** Returns requests computed. */
    public long requestsRun() {
        return requestsRun.sum();
    }

    /** Returns rows (image × task) computed. */
    public long rowsRun() {
        return rowsRun.sum();
    }
}
