package dev.sinewich.serve.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sinewich.serve.bundle.LinearTarget;
import dev.sinewich.serve.bundle.TensorCatalog;
import java.util.List;

/**
 * One torchvision Swin v1 block (SPEC §4.6): x + attn(norm1(x)), then + mlp(norm2(x)), with window
 * attention, relative position bias and the shifted-window mask. Everything that depends only on
 * the feature-map size (the gather indices and bias-plus-mask) is built once at load. It holds
 * weights only; each engine runs or writes it its own way. Immutable and thread-safe.
 */
public final class SwinBlock {

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
     * Returns the attention heads.
     *
     * @return the number of heads
     */
    public int heads() {
        return heads;
    }

    /**
     * Returns the block's channels C.
     *
     * @return C
     */
    public int channels() {
        return channels;
    }

    /**
     * Returns the feature-map height h the block was built for.
     *
     * @return h
     */
    public int height() {
        return height;
    }

    /**
     * Returns the feature-map width w the block was built for.
     *
     * @return w
     */
    public int width() {
        return width;
    }

    /**
     * Returns how the block visits its windows.
     *
     * @return the window plan
     */
    public WindowPlan plan() {
        return plan;
    }

    /**
     * Returns the first LayerNorm's weight.
     *
     * @return (C), resident
     */
    public NDArray norm1Weight() {
        return norm1Weight;
    }

    /**
     * Returns the first LayerNorm's bias.
     *
     * @return (C), resident
     */
    public NDArray norm1Bias() {
        return norm1Bias;
    }

    /**
     * Returns the second LayerNorm's weight.
     *
     * @return (C), resident
     */
    public NDArray norm2Weight() {
        return norm2Weight;
    }

    /**
     * Returns the second LayerNorm's bias.
     *
     * @return (C), resident
     */
    public NDArray norm2Bias() {
        return norm2Bias;
    }

    /**
     * Returns the attention's input projection.
     *
     * @return C → 3C
     */
    public BlockLinear qkv() {
        return qkv;
    }

    /**
     * Returns the attention's output projection.
     *
     * @return C → C
     */
    public BlockLinear proj() {
        return proj;
    }

    /**
     * Returns the MLP's first linear.
     *
     * @return C → the MLP width
     */
    public BlockLinear fc1() {
        return fc1;
    }

    /**
     * Returns the MLP's second linear.
     *
     * @return the MLP width → C
     */
    public BlockLinear fc2() {
        return fc2;
    }

    /**
     * Returns the relative position bias, plus the mask for a shifted block, laid out so that one add
     * applies both.
     *
     * @return (heads, L, L), or (windows, heads, L, L) when shifted; resident
     */
    public NDArray attentionBias() {
        return attentionBias;
    }

    /**
     * Returns the plan's gather of token rows (padding, shift and partition) as an int64 index.
     *
     * @return {@link WindowPlan#gatherIndex()}, resident
     */
    public NDArray gather() {
        return gather;
    }

    /**
     * Returns the plan's scatter of token rows (their reversal and the crop) as an int64 index.
     *
     * @return {@link WindowPlan#scatterIndex()}, resident
     */
    public NDArray scatter() {
        return scatter;
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
