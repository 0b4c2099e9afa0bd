package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import dev.sinewich.serve.bundle.SinewichConfig;

/**
 * Everything one task adds to the shared model: its per-stage frequencies ω_t and its small head
 * (per-task fuse bias and batch norm folded into one affine map, then the output 1×1 convolution).
 * Switching task means switching this object. Immutable and thread-safe.
 */
final class TaskRuntime {

    private static final float BN_EPS = 1e-5f;

    private final SinewichConfig.Task spec;
    private final float[] omega;
    private final TaskKernels kernels;
    private final NDArray scale;
    private final NDArray shift;
    private final NDArray outWeight;
    private final NDArray outBias;

    private TaskRuntime(SinewichConfig.Task spec, float[] omega, TaskKernels kernels, NDArray scale,
            NDArray shift, NDArray outWeight, NDArray outBias) {
        this.spec = spec;
        this.omega = omega;
        this.kernels = kernels;
        this.scale = scale;
        this.shift = shift;
        this.outWeight = outWeight;
        this.outBias = outBias;
    }

    /**
     * Loads a task.
     *
     * @param reader the weight reader
     * @param spec the task's configuration
     * @param kernels the shared task-kernel maker
     * @return the task, its arrays resident
     */
    static TaskRuntime load(WeightReader reader, SinewichConfig.Task spec, TaskKernels kernels) {
        String h = "heads." + spec.name() + ".";
        float[] fuseBias = reader.floats(h + "fuse_bias");
        float[] gamma = reader.floats(h + "bn.weight");
        float[] beta = reader.floats(h + "bn.bias");
        float[] mean = reader.floats(h + "bn.running_mean");
        float[] var = reader.floats(h + "bn.running_var");
        float[] scale = new float[gamma.length];
        float[] shift = new float[gamma.length];
        for (int c = 0; c < gamma.length; c++) {
            // ((z + fuse_bias) − mean) / sqrt(var + eps) · γ + β  =  z · scale + shift
            scale[c] = (float) (gamma[c] / Math.sqrt(var[c] + BN_EPS));
            shift[c] = (fuseBias[c] - mean[c]) * scale[c] + beta[c];
        }
        NDManager resident = reader.resident();
        return new TaskRuntime(spec, ClockNet.frequencies(reader.bundle(), spec.name()), kernels,
                resident.create(scale, new Shape(scale.length)), resident.create(shift, new Shape(shift.length)),
                reader.residentMatrix(h + "out.weight"), reader.resident(h + "out.bias"));
    }

    /** Returns the task's configuration. */
    SinewichConfig.Task spec() {
        return spec;
    }

    /** Returns a copy of ω per stage. */
    float[] frequencies() {
        return omega.clone();
    }

    /**
     * Derives this task's weight of an adapted linear, W_t = W + gain · lowpass(sin(ω_t,s · M)).
     *
     * @param linear the adapted linear
     * @param scope the owner of the result and its intermediates
     * @return W_t, owned by scope
     */
    NDArray deriveWeight(BlockLinear linear, NDManager scope) {
        return kernels.taskWeight(linear.baseWeight(), linear.fusedKernel(), omega[linear.stage()], scope);
    }

    /** Returns the bytes of the task's head and frequencies. */
    long bytes() {
        return Memory.bytes(scale, shift, outWeight, outBias) + (long) omega.length * Float.BYTES;
    }

    /** Returns the task name. */
    String name() {
        return spec.name();
    }

    /**
     * Runs the head on the shared fused decoder features.
     *
     * @param fused (N, h0, w0, hidden) = conv1×1(X, decoder.fuse), without bias
     * @return (N, h0, w0, outputs) logits O
     */
    NDArray head(NDArray fused) {
        NDArray z = Activation.relu(fused.mul(scale).add(shift));
        return Linear.linear(z, outWeight, outBias).singletonOrThrow();
    }
}
