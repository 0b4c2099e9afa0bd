package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;
import dev.sinewich.serve.bundle.LinearTarget;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.onnx.GraphOps;
import java.util.List;
import java.util.Map;

/**
 * One linear of a Swin block: its base weight with the shared LoRA merged at load, its bias, and,
 * in the last block of a stage, the resident fused Sine-AWB kernel M = B·W·A from which each
 * task's weight is derived. Immutable and thread-safe.
 */
final class BlockLinear {

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

    /** Returns the bytes of the fused kernel (0 when not adapted). */
    long fusedBytes() {
        return Memory.bytes(fused);
    }

    /** Returns the stage this linear belongs to. */
    int stage() {
        return stage;
    }

    /** Returns whether this linear has a task-specific branch. */
    boolean adapted() {
        return fused != null;
    }

    /** Returns the resident base weight (LoRA merged). */
    NDArray baseWeight() {
        return weight;
    }

    /** Returns the resident fused kernel M, or {@code null} when not adapted. */
    NDArray fusedKernel() {
        return fused;
    }

    /**
     * Writes the linear into an ONNX graph: the base weight as a constant, or, for an adapted
     * linear, the task weight W_t (out, in) as the graph input that {@code taskWeights} names.
     *
     * @param ops the graph
     * @param x (…, in)
     * @param hint a readable name part
     * @param taskWeights the graph input of each adapted linear's W_t
     * @return (…, out)
     */
    String emit(GraphOps ops, String x, String hint, Map<BlockLinear, String> taskWeights) {
        float[] b = bias == null ? null : bias.toFloatArray();
        if (fused != null) {
            String bv = b == null ? null : ops.graph().constant(hint + ".b", b, b.length);
            return ops.linearOutIn(x, taskWeights.get(this), bv);
        }
        long[] shape = weight.getShape().getShape();
        return ops.linear(x, hint, weight.toFloatArray(), (int) shape[0], (int) shape[1], b);
    }

    /**
     * Writes a constant (not adapted) linear into an ONNX graph with its first rows scaled, so that
     * a following multiplication of those outputs by the same factor is folded into the weights.
     *
     * @param ops the graph
     * @param x (…, in)
     * @param hint a readable name part
     * @param rows how many leading output rows to scale
     * @param factor the factor
     * @return (…, out)
     */
    String emitScaled(GraphOps ops, String x, String hint, int rows, float factor) {
        long[] shape = weight.getShape().getShape();
        float[] w = weight.toFloatArray();
        int in = (int) shape[1];
        for (int i = 0; i < rows * in; i++) {
            w[i] *= factor;
        }
        float[] b = bias == null ? null : bias.toFloatArray();
        if (b != null) {
            for (int i = 0; i < rows; i++) {
                b[i] *= factor;
            }
        }
        return ops.linear(x, hint, w, (int) shape[0], in, b);
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

    /** Returns the (out, in) shape of the weight. */
    long[] shape() {
        return weight.getShape().getShape();
    }

    /**
     * Applies the linear, y = x·W_tᵀ + b, each row group with its own task's weight. The rows of x
     * along axis 0 are image-major (a multiple of the pass's rows), so a task's rows are one slice.
     *
     * @param x (R·k, …, in) activations; the result and anything made on the way belong to its
     *     manager
     * @param rows the tasks of the pass's rows
     * @return (R·k, …, out) activations
     */
    NDArray apply(NDArray x, RowTasks rows) {
        if (fused == null) {
            return Linear.linear(x, weight, bias).singletonOrThrow();
        }
        NDManager scope = x.getManager();
        List<RowTasks.Segment> segments = rows.segments();
        if (segments.size() == 1) {
            return Linear.linear(x, segments.get(0).weights().weight(this, scope), bias).singletonOrThrow();
        }
        long perRow = x.getShape().get(0) / rows.rowCount();
        NDList parts = new NDList(segments.size());
        for (RowTasks.Segment segment : segments) {
            NDArray slice = x.get(new NDIndex("{}:{}", segment.start() * perRow, segment.end() * perRow));
            parts.add(Linear.linear(slice, segment.weights().weight(this, scope), bias).singletonOrThrow());
        }
        return NDArrays.concat(parts, 0);
    }
}
