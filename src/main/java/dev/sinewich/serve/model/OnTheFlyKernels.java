package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sinewich.serve.model.swin.BlockLinear;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Derives each task weight inside the forward pass that needs it, into that pass's manager: no
 * memory per task beyond ω_t and the head; on a GPU the elementwise work is negligible.
 * Thread-safe.
 */
final class OnTheFlyKernels implements KernelPolicy {

    /** The policy's name in settings and metrics. */
    static final String NAME = "on-the-fly";

    private final AtomicLong leases = new AtomicLong();
    private final AtomicLong nanos = new AtomicLong();

    @Override
    public TaskWeights lease(TaskRuntime task) {
        leases.incrementAndGet();
        return new TaskWeights() {
            @Override
            public NDArray weight(BlockLinear linear, NDManager scope) {
                long start = System.nanoTime();
                NDArray w = task.deriveWeight(linear, scope);
                nanos.addAndGet(System.nanoTime() - start);
                return w;
            }

            @Override
            public void close() {
                // nothing is held beyond the pass's own manager
            }
        };
    }

    @Override
    public void forget(String task) {
        // nothing is held per task
    }

    @Override
    public KernelStats stats() {
        return new KernelStats(NAME, 0, leases.get(), 0, 0, 0, nanos.get() / 1e9);
    }

    @Override
    public void close() {
        // nothing to free
    }
}
