package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import dev.sinewich.serve.bundle.LinearTarget;
import dev.sinewich.serve.bundle.TensorCatalog;
import dev.sinewich.serve.model.onnx.GraphOps;
import dev.sinewich.serve.model.onnx.OnnxGraph;
import java.util.List;
import java.util.Map;

/**
 * One torchvision Swin v1 block (SPEC §4.6): x + attn(norm1(x)), then + mlp(norm2(x)), with window
 * attention, relative position bias and the shifted-window mask. Everything that depends only on
 * the feature-map size (the gather indices and bias-plus-mask) is built once at load. Immutable and
 * thread-safe.
 */
final class SwinBlock {

    private static final float EPS = 1e-5f;

    private final int heads;
    private final int channels;
    private final int height;
    private final int width;
    private final WindowPlan plan;
    private final NDArray norm1Weight;
    private final NDArray norm1Bias;
    private final NDArray norm2Weight;
    private final NDArray norm2Bias;
    private final BlockLinear qkv;
    private final BlockLinear proj;
    private final BlockLinear fc1;
    private final BlockLinear fc2;
    private final NDArray attentionBias;
    private final NDArray gather;
    private final NDArray scatter;

    private SwinBlock(Builder b) {
        this.heads = b.heads;
        this.channels = b.channels;
        this.height = b.height;
        this.width = b.width;
        this.plan = b.plan;
        this.norm1Weight = b.norm1Weight;
        this.norm1Bias = b.norm1Bias;
        this.norm2Weight = b.norm2Weight;
        this.norm2Bias = b.norm2Bias;
        this.qkv = b.qkv;
        this.proj = b.proj;
        this.fc1 = b.fc1;
        this.fc2 = b.fc2;
        this.attentionBias = b.attentionBias;
        this.gather = b.gather;
        this.scatter = b.scatter;
    }

    /**
     * Loads block j of stage s for a feature map of the given size.
     *
     * @param reader the weight reader
     * @param stage the stage
     * @param block the block index in the stage
     * @param height feature-map height
     * @param width feature-map width
     * @return the block, resident
     */
    static SwinBlock load(WeightReader reader, int stage, int block, int height, int width) {
        var config = reader.bundle().config();
        var bb = config.backbone();
        String p = TensorCatalog.blockPrefix(stage, block);
        boolean adapted = block == bb.depths().get(stage) - 1;
        Builder b = new Builder();
        b.heads = bb.numHeads().get(stage);
        b.channels = bb.channels(stage);
        b.height = height;
        b.width = width;
        b.plan = new WindowPlan(height, width, bb.windowSize(), block % 2 == 1);
        b.norm1Weight = reader.resident(p + "norm1.weight");
        b.norm1Bias = reader.resident(p + "norm1.bias");
        b.norm2Weight = reader.resident(p + "norm2.weight");
        b.norm2Bias = reader.resident(p + "norm2.bias");
        b.qkv = BlockLinear.load(reader, p, LinearTarget.QKV, stage, adapted);
        b.proj = BlockLinear.load(reader, p, LinearTarget.PROJ, stage, adapted);
        b.fc1 = BlockLinear.load(reader, p, LinearTarget.FC1, stage, adapted);
        b.fc2 = BlockLinear.load(reader, p, LinearTarget.FC2, stage, adapted);
        b.attentionBias = attentionBias(reader, p, b.plan, b.heads, bb.windowSize());
        NDManager resident = reader.resident();
        b.gather = resident.create(b.plan.gatherIndex());
        b.scatter = resident.create(b.plan.scatterIndex());
        return new SwinBlock(b);
    }

    /**
     * The relative position bias (heads, L, L), plus the mask for a shifted block, laid out
     * (windows, heads, L, L) so that one add applies both.
     */
    private static NDArray attentionBias(WeightReader reader, String prefix, WindowPlan plan, int heads, int window) {
        float[] table = reader.floats(prefix + "attn.relative_position_bias_table");
        long[] index = TensorCatalog.relativePositionIndex(window);
        int tokens = window * window;
        float[] bias = new float[heads * tokens * tokens];
        for (int h = 0; h < heads; h++) {
            for (int ab = 0; ab < tokens * tokens; ab++) {
                bias[h * tokens * tokens + ab] = table[(int) index[ab] * heads + h];
            }
        }
        NDManager resident = reader.resident();
        if (!plan.shifted()) {
            return resident.create(bias, new Shape(heads, tokens, tokens));
        }
        float[] mask = plan.mask();
        int windows = plan.windows();
        float[] combined = new float[windows * heads * tokens * tokens];
        for (int w = 0; w < windows; w++) {
            for (int h = 0; h < heads; h++) {
                int out = (w * heads + h) * tokens * tokens;
                for (int ab = 0; ab < tokens * tokens; ab++) {
                    combined[out + ab] = bias[h * tokens * tokens + ab] + mask[w * tokens * tokens + ab];
                }
            }
        }
        return resident.create(combined, new Shape(windows, heads, tokens, tokens));
    }

    /** Returns the bytes of everything the block keeps but the fused kernels. */
    long baseBytes() {
        long bytes = Memory.bytes(norm1Weight, norm1Bias, norm2Weight, norm2Bias, attentionBias, gather, scatter);
        for (BlockLinear linear : linears()) {
            bytes += linear.baseBytes();
        }
        return bytes;
    }

    /** Frees what another engine holds a copy of (see {@link BlockLinear#releaseCopies()}). */
    void releaseCopies() {
        for (NDArray a : new NDArray[] {norm1Weight, norm1Bias, norm2Weight, norm2Bias, attentionBias, gather,
            scatter}) {
            a.close();
        }
        linears().forEach(BlockLinear::releaseCopies);
    }

    /** Returns the block's four linears. */
    List<BlockLinear> linears() {
        return List.of(qkv, proj, fc1, fc2);
    }

    /**
     * Runs the block. Intermediates live in a scope closed before returning.
     *
     * @param x (N, h, w, C) activations
     * @param rows the tasks of the pass's rows
     * @return (N, h, w, C) activations, owned by x's manager
     */
    NDArray forward(NDArray x, RowTasks rows) {
        NDManager owner = x.getManager();
        try (NDManager local = owner.newSubManager()) {
            x.tempAttach(local);
            NDArray y = layerNorm(x, norm1Weight, norm1Bias);
            NDArray afterAttention = x.add(attention(y, rows));
            NDArray z = layerNorm(afterAttention, norm2Weight, norm2Bias);
            z = fc2.apply(Activation.gelu(fc1.apply(z, rows)), rows);
            NDArray out = afterAttention.add(z);
            out.attach(owner);
            return out;
        }
    }

    /**
     * Writes the block into an ONNX graph, the same computation as {@link #forward} on tokens laid
     * out (N, h·w, C).
     *
     * @param ops the graph
     * @param x (N, h·w, C) tokens
     * @param hint a readable name part
     * @param taskWeights the graph input of each adapted linear's W_t
     * @return (N, h·w, C) tokens
     */
    String emit(GraphOps ops, String x, String hint, Map<BlockLinear, String> taskWeights) {
        OnnxGraph g = ops.graph();
        int tokens = plan.tokens();
        int windows = plan.windows();
        int headDim = channels / heads;
        String y = ops.layerNorm(x, hint + ".norm1", norm1Weight.toFloatArray(), norm1Bias.toFloatArray());
        if (plan.padded()) {
            y = g.op("Pad", new String[] {y, g.constant("pads", new long[] {0, 0, 0, 0, 1, 0}, 6)});
        }
        String windowed = ops.reshape(ops.gather(y, plan.gatherIndex(), 1), -1, tokens, channels);
        float scale = (float) Math.pow(headDim, -0.5);
        // a constant qkv takes the query scale into its weights; a task-specific one cannot
        String projected = qkv.adapted() ? qkv.emit(ops, windowed, hint + ".qkv", taskWeights)
                : qkv.emitScaled(ops, windowed, hint + ".qkv", channels, scale);
        String context;
        if (plan.shifted()) {
            // the mask differs per window; a fused attention would need it repeated for every image,
            // which costs more than it saves at large batches: scores, mask and softmax as ops
            String qkvOut = ops.transpose(ops.reshape(projected, -1, tokens, 3, heads, headDim), 2, 0, 3, 1, 4);
            String q = qkv.adapted() ? ops.binary("Mul", ops.pick(qkvOut, 0), g.scalar(scale)) : ops.pick(qkvOut, 0);
            String k = ops.transpose(ops.pick(qkvOut, 1), 0, 1, 3, 2);
            String v = ops.pick(qkvOut, 2);
            String scores = ops.reshape(ops.binary("MatMul", q, k), -1, windows, heads, tokens, tokens);
            String bias = g.constant(hint + ".bias", attentionBias.toFloatArray(), attentionBias.getShape().getShape());
            String probs = ops.reshape(ops.unary("Softmax", ops.binary("Add", scores, bias)), -1, heads, tokens, tokens);
            context = ops.reshape(ops.transpose(ops.binary("MatMul", probs, v), 0, 2, 1, 3),
                    -1, (long) windows * tokens, channels);
        } else {
            // one bias for every window: ONNX Runtime's fused multi-head attention
            String[] qkvParts = g.op("Split", 3, new String[] {projected}, OnnxGraph.attr("axis", 2L));
            String bias = g.constant(hint + ".bias", attentionBias.toFloatArray(), 1, heads, tokens, tokens);
            context = ops.reshape(ops.attention(qkvParts[0], qkvParts[1], qkvParts[2], bias, heads,
                    qkv.adapted() ? scale : 1f), -1, (long) windows * tokens, channels);
        }
        String attended = ops.gather(proj.emit(ops, context, hint + ".proj", taskWeights), plan.scatterIndex(), 1);
        String afterAttention = ops.binary("Add", x, attended);
        String z = ops.layerNorm(afterAttention, hint + ".norm2", norm2Weight.toFloatArray(),
                norm2Bias.toFloatArray());
        z = fc2.emit(ops, ops.gelu(fc1.emit(ops, z, hint + ".fc1", taskWeights)), hint + ".fc2", taskWeights);
        return ops.binary("Add", afterAttention, z);
    }

    private NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(channels), weight, bias, EPS).singletonOrThrow();
    }

    private NDArray attention(NDArray y, RowTasks rows) {
        long n = y.getShape().get(0);
        int tokens = plan.tokens();
        int windows = plan.windows();
        long batchWindows = n * windows;
        int headDim = channels / heads;
        NDArray flat = y.reshape(n, (long) height * width, channels);
        if (plan.padded()) {
            flat = NDArrays.concat(new NDList(flat, y.getManager().zeros(new Shape(n, 1, channels))), 1);
        }
        NDArray windowed = TorchOps.takeAxis1(flat, gather).reshape(batchWindows, tokens, channels);
        NDArray qkvOut = qkv.apply(windowed, rows)
                .reshape(batchWindows, tokens, 3, heads, headDim)
                .transpose(2, 0, 3, 1, 4);
        NDArray q = qkvOut.get(0).mul((float) Math.pow(headDim, -0.5));
        NDArray k = qkvOut.get(1);
        NDArray v = qkvOut.get(2);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
        if (plan.shifted()) {
            scores = scores.reshape(n, windows, heads, tokens, tokens).add(attentionBias)
                    .reshape(batchWindows, heads, tokens, tokens);
        } else {
            scores = scores.add(attentionBias);
        }
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3)
                .reshape(batchWindows, tokens, channels);
        NDArray out = proj.apply(context, rows).reshape(n, batchWindows / n * tokens, channels);
        return TorchOps.takeAxis1(out, scatter).reshape(n, height, width, channels);
    }

    /** Mutable holder for the constructor's many parts. */
    private static final class Builder {
        int heads;
        int channels;
        int height;
        int width;
        WindowPlan plan;
        NDArray norm1Weight;
        NDArray norm1Bias;
        NDArray norm2Weight;
        NDArray norm2Bias;
        BlockLinear qkv;
        BlockLinear proj;
        BlockLinear fc1;
        BlockLinear fc2;
        NDArray attentionBias;
        NDArray gather;
        NDArray scatter;
    }
}
