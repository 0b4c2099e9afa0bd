package dev.sinewich.serve.model.swin;

import ai.djl.ndarray.NDArray;
import dev.sinewich.serve.bundle.TensorCatalog;

/**
 * torchvision's patch merging between stages: concatenate x0 = x[0::2, 0::2], x1 = x[1::2, 0::2],
 * x2 = x[0::2, 1::2], x3 = x[1::2, 1::2] on channels, LayerNorm, then a linear 4C → 2C without bias.
 * The four slices are one reshape and transpose. It holds weights only; each engine runs or writes
 * it its own way. Immutable and thread-safe.
 */
public final class PatchMerging {

    private final int channels;
    private final NDArray normWeight;
    private final NDArray normBias;
    private final NDArray reduction;

    private PatchMerging(int channels, NDArray normWeight, NDArray normBias, NDArray reduction) {
        this.channels = channels;
        this.normWeight = normWeight;
        this.normBias = normBias;
        this.reduction = reduction;
    }

    /**
     * Loads the merging after a stage.
     *
     * @param reader the weight reader
     * @param stage the stage it follows
     * @return the merging, resident
     */
    static PatchMerging load(WeightReader reader, int stage) {
        String p = TensorCatalog.mergePrefix(stage);
        return new PatchMerging(reader.bundle().config().backbone().channels(stage),
                reader.resident(p + "norm.weight"), reader.resident(p + "norm.bias"),
                reader.resident(p + "reduction.weight"));
    }

    /** Frees the weights (another engine holds a copy). */
    void releaseCopies() {
        normWeight.close();
        normBias.close();
        reduction.close();
    }

    /** Returns the bytes the merging keeps. */
    long bytes() {
        return Memory.bytes(normWeight, normBias, reduction);
    }

    /**
     * Returns the channels C of the stage it follows.
     *
     * @return C
     */
    public int channels() {
        return channels;
    }

    /**
     * Returns the LayerNorm's weight.
     *
     * @return (4C), resident
     */
    public NDArray normWeight() {
        return normWeight;
    }

    /**
     * Returns the LayerNorm's bias.
     *
     * @return (4C), resident
     */
    public NDArray normBias() {
        return normBias;
    }

    /**
     * Returns the reduction's weight (no bias).
     *
     * @return (2C, 4C), resident
     */
    public NDArray reduction() {
        return reduction;
    }
}
