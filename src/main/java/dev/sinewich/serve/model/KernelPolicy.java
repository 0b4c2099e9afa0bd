package dev.sinewich.serve.model;

/**
 * How per-task weights W_t = W + gain · lowpass(sin(ω_t · M)) are provided to a forward pass:
 * derived inside every pass ({@code on-the-fly}) or materialised per task and kept under a byte
 * budget ({@code cache}). Every policy gives the same outputs. Implementations are thread-safe.
 */
interface KernelPolicy extends AutoCloseable {

    /**
     * Leases a task's weights for one forward pass.
     *
     * @param task the task
     * @return the lease; close it when the pass is done
     */
    TaskWeights lease(TaskRuntime task);

    /**
     * Drops anything held for a task (it is being removed).
     *
     * @param task the task name
     */
    void forget(String task);

    /**
     * Returns the policy's counters.
     *
     * @return a snapshot
     */
    KernelStats stats();

    /** Frees everything the policy holds. */
    @Override
    void close();
}
