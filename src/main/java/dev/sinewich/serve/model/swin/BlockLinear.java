package dev.sinewich.serve.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sinewich.serve.bundle.LinearTarget;
import dev.sinewich.serve.bundle.SinewichConfig;

/**
 * One linear of a Swin block: its base weight with the shared LoRA merged at load, its bias, and,
 * in the last block of a stage, the resident fused Sine-AWB kernel M = B·W·A from which each
 * task's weight is derived. It holds weights only; each engine applies or writes it its own way,
 * and an adapted linear's task weight W_t comes from the kernel policy. Immutable and thread-safe;
 * compared by identity (engines and kernel policies key task weights by linear).
 */
public final class BlockLinear {

    private final NDArray weight;
    private final NDArray bias;
    private final NDArray fused;
    private final int stage;

    private BlockLinear(NDArray weight, NDArray bias, NDArray fused, int stage) {
        this.weight = weight;
        this.bias = bias;
        this.fused = fused;
        this.stage = stage;
    }

    /**
     * Loads a block linear, merging LoRA and fusing the AWB factors where the configuration says.
     *
     * @param reader the weight reader
     * @param prefix the block prefix, e.g. {@code backbone.features.1.0.}
     * @param target which linear
     * @param stage the block's stage
     * @param adapted whether this block carries the Sine-AWB branch (last block of the stage)
     * @return the loaded linear, resident
     */
    static BlockLinear load(WeightReader reader, String prefix, LinearTarget target, int stage, boolean adapted) {
        SinewichConfig config = reader.bundle().config();
        String name = prefix + target.path();
        NDManager resident = reader.resident();
        NDArray weight;
        NDArray fused = null;
        try (NDManager load = resident.newSubManager()) {
            weight = reader.read(name + ".weight", load);
            SinewichConfig.Lora lora = config.lora();
            if (lora != null && lora.targets().contains(target)) {
                NDArray a = reader.read(name + ".lora_A", load);
                NDArray b = reader.read(name + ".lora_B", load);
                weight = b.matMul(a).mul((float) (lora.alpha() / lora.rank())).add(weight);
            }
            weight.attach(resident);
            if (adapted && config.awb().targets().contains(target)) {
                NDArray a = reader.read(name + ".awb_A", load);
                NDArray w = reader.read(name + ".awb_W", load);
                NDArray b = reader.read(name + ".awb_B", load);
                fused = b.matMul(w).matMul(a);
                fused.attach(resident);
            }
        }
        NDArray bias = reader.resident(name + ".bias");
        return new BlockLinear(weight, bias, fused, stage);
    }

    /** Returns the bytes of the base weight and bias. */
    long baseBytes() {
        return Memory.bytes(weight, bias);
    }

    /**
     * Returns the bytes of the fused kernel (0 when not adapted).
     *
     * @return the bytes
     */
    public long fusedBytes() {
        return Memory.bytes(fused);
    }

    /**
     * Returns the stage this linear belongs to.
     *
     * @return the stage, whose ω_t the task weight uses
     */
    public int stage() {
        return stage;
    }

    /**
     * Returns whether this linear has a task-specific branch.
     *
     * @return true when each task has its own weight W_t here
     */
    public boolean adapted() {
        return fused != null;
    }

    /**
     * Returns the resident base weight (LoRA merged).
     *
     * @return W (out, in)
     */
    public NDArray baseWeight() {
        return weight;
    }

    /**
     * Returns the resident bias.
     *
     * @return b (out), or {@code null} when the linear has none
     */
    public NDArray bias() {
        return bias;
    }

    /**
     * Returns the resident fused kernel M.
     *
     * @return M (out, in), or {@code null} when not adapted
     */
    public NDArray fusedKernel() {
        return fused;
    }

    /**
     * Frees what another engine holds a copy of: everything but what task weights are derived
     * from (the base weight and fused kernel of an adapted linear).
     */
    void releaseCopies() {
        if (bias != null) {
            bias.close();
        }
        if (fused == null) {
            weight.close();
        }
    }

    /**
     * Returns the shape of the weight.
     *
     * @return (out, in)
     */
    public long[] shape() {
        return weight.getShape().getShape();
    }
}
