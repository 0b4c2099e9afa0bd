package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sinewich.serve.model.swin.BlockLinear;

/**
 * One forward pass's use of a task's weights: gives W_t for each adapted linear and, when closed,
 * releases whatever the kernel policy holds for the pass. Used by one thread at a time. Public
 * for the engines, which ask it for W_t; only kernel policies implement it.
 */
public interface TaskWeights extends AutoCloseable {

    /**
     * Returns the task's weight of an adapted linear.
     *
     * @param linear the adapted linear
     * @param scope the pass's manager, owner of anything made on the way
     * @return W_t; owned by scope or by the policy (then valid until this lease is closed)
     */
    NDArray weight(BlockLinear linear, NDManager scope);

    /** Releases the lease. */
    @Override
    void close();
}
