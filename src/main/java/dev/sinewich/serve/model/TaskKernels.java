package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Makes a task's effective weight of an adapted linear from the resident fused kernel M:
 * W_t = W + gain · lowpass(sin(ω_t · M)) (SPEC §4.5). Immutable and thread-safe.
 */
final class TaskKernels {

    private final float gain;
    private final Lowpass lowpass;

    /**
     * Creates the kernel maker.
     *
     * @param gain the Sine-AWB gain
     * @param lowpass the low-pass filter, or {@code null} for none
     */
    TaskKernels(float gain, Lowpass lowpass) {
        this.gain = gain;
        this.lowpass = lowpass;
    }

    /**
     * Derives a task's weight.
     *
     * @param base the base weight W (LoRA merged), resident
     * @param fused the fused kernel M, resident
     * @param omega the task's frequency for this stage
     * @param scope the manager that owns the result and every intermediate
     * @return W_t, owned by scope
     */
    NDArray taskWeight(NDArray base, NDArray fused, float omega, NDManager scope) {
        NDArray kernel = scope.create(omega).mul(fused).sin();
        if (lowpass != null) {
            kernel = lowpass.apply(kernel);
        }
        return kernel.mul(gain).add(base);
    }
}
