package dev.sinewich.serve.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TensorSource;
import dev.sinewich.serve.model.swin.BlockLinear;
import dev.sinewich.serve.model.swin.Memory;

/**
 * Everything one task adds to the shared model: its per-stage frequencies ω_t and its small head
 * (per-task fuse bias and batch norm folded into one affine map, then the output 1×1 convolution).
 * Switching task means switching this object. It owns its arrays, so a task can be removed at run
 * time: it is freed when the last pass using it ends. Public for the engines, which read its
 * configuration and head; its life cycle stays with the model. Thread-safe.
 */
public final class TaskRuntime {

    private static final float BN_EPS = 1e-5f;

    private final SinewichConfig.Task spec;
    private final float[] omega;
    private final TaskKernels kernels;
    private final NDArray scale;
    private final NDArray shift;
    private final NDArray outWeight;
    private final NDArray outBias;
    private final NDManager owner;
    private int users;
    private boolean retired;

    private TaskRuntime(SinewichConfig.Task spec, float[] omega, TaskKernels kernels, NDManager owner,
            NDArray scale, NDArray shift, NDArray outWeight, NDArray outBias) {
        this.spec = spec;
        this.owner = owner;
        this.omega = omega;
        this.kernels = kernels;
        this.scale = scale;
        this.shift = shift;
        this.outWeight = outWeight;
        this.outBias = outBias;
    }

    /**
     * Loads a task into a manager of its own, so that it can be removed at run time.
     *
     * @param source the bundle or task file
     * @param spec the task's configuration
     * @param omega the task's frequencies per stage
     * @param kernels the shared task-kernel maker
     * @param device where the head lives
     * @return the task
     */
    static TaskRuntime load(TensorSource source, SinewichConfig.Task spec, float[] omega, TaskKernels kernels,
            Device device) {
        String h = "heads." + spec.name() + ".";
        float[] fuseBias = source.floats(h + "fuse_bias");
        float[] gamma = source.floats(h + "bn.weight");
        float[] beta = source.floats(h + "bn.bias");
        float[] mean = source.floats(h + "bn.running_mean");
        float[] var = source.floats(h + "bn.running_var");
        float[] scale = new float[gamma.length];
        float[] shift = new float[gamma.length];
        for (int c = 0; c < gamma.length; c++) {
            // ((z + fuse_bias) − mean) / sqrt(var + eps) · γ + β  =  z · scale + shift
            scale[c] = (float) (gamma[c] / Math.sqrt(var[c] + BN_EPS));
            shift[c] = (fuseBias[c] - mean[c]) * scale[c] + beta[c];
        }
        long[] outShape = source.shape(h + "out.weight");
        NDManager owner = NDManager.newBaseManager(device, TensorStore.ENGINE);
        try {
            return new TaskRuntime(spec, omega, kernels, owner, owner.create(scale, new Shape(scale.length)),
                    owner.create(shift, new Shape(shift.length)),
                    owner.create(source.floats(h + "out.weight"), new Shape(outShape[0], outShape[1])),
                    owner.create(source.floats(h + "out.bias"), new Shape(outShape[0])));
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    /**
     * Takes the task for one pass; fails when it has been removed.
     *
     * @return true when acquired; false when the task is retired
     */
    synchronized boolean acquire() {
        if (retired) {
            return false;
        }
        users++;
        return true;
    }

    /** Ends one pass's use; frees the task if it was removed meanwhile and this was the last use. */
    synchronized void release() {
        users--;
        if (retired && users == 0) {
            owner.close();
        }
    }

    /** Marks the task removed: it is freed once no pass uses it. */
    synchronized void retire() {
        retired = true;
        if (users == 0) {
            owner.close();
        }
    }

    /**
     * Returns the task's configuration.
     *
     * @return the configuration
     */
    public SinewichConfig.Task spec() {
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
     * Returns the head's tensors, resident until the task is freed: the per-channel scale and
     * shift (hidden), the output weight (outputs, hidden) and bias (outputs). An engine runs the
     * head on the shared fused decoder features z (without bias) as ReLU(z · scale + shift), then
     * the output 1×1 convolution, for the logits O.
     *
     * @return {scale, shift, outWeight, outBias}
     */
    public NDArray[] headTensors() {
        return new NDArray[] {scale, shift, outWeight, outBias};
    }
}
