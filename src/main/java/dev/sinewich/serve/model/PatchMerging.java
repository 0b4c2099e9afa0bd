package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.sinewich.serve.bundle.TensorCatalog;
import dev.sinewich.serve.model.onnx.GraphOps;

/**
 * torchvision's patch merging between stages: concatenate x0 = x[0::2, 0::2], x1 = x[1::2, 0::2],
 * x2 = x[0::2, 1::2], x3 = x[1::2, 1::2] on channels, LayerNorm, then a linear 4C → 2C without bias.
 * The four slices are one reshape and transpose. Immutable and thread-safe.
 */
final class PatchMerging {

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
     * Writes the merging into an ONNX graph.
     *
     * @param ops the graph
     * @param x (N, h·w, C) tokens
     * @param height h
     * @param width w
     * @param hint a readable name part
     * @return (N, h·w/4, 2C) tokens
     */
    String emit(GraphOps ops, String x, int height, int width, String hint) {
        long h2 = height / 2;
        long w2 = width / 2;
        String merged = ops.reshape(ops.transpose(ops.reshape(x, -1, h2, 2, w2, 2, channels), 0, 1, 3, 4, 2, 5),
                -1, h2 * w2, 4L * channels);
        String normed = ops.layerNorm(merged, hint, normWeight.toFloatArray(), normBias.toFloatArray());
        return ops.linear(normed, hint + ".reduction", reduction.toFloatArray(), 2 * channels, 4 * channels, null);
    }

    /**
     * Merges 2×2 neighbourhoods.
     *
     * @param x (N, h, w, C) with h and w even
     * @return (N, h/2, w/2, 2C), owned by x's manager
     */
    NDArray forward(NDArray x) {
        Shape s = x.getShape();
        long n = s.get(0);
        long h2 = s.get(1) / 2;
        long w2 = s.get(2) / 2;
        // (n, h2, rowOffset, w2, colOffset, C) → (n, h2, w2, colOffset, rowOffset, C): channel blocks in
        // the order (0,0), (1,0), (0,1), (1,1) of (rowOffset, colOffset), i.e. x0, x1, x2, x3.
        NDArray merged = x.reshape(n, h2, 2, w2, 2, channels).transpose(0, 1, 3, 4, 2, 5)
                .reshape(n, h2, w2, 4L * channels);
        NDArray normed = LayerNorm.layerNorm(merged, new Shape(4L * channels), normWeight, normBias, 1e-5f)
                .singletonOrThrow();
        return Linear.linear(normed, reduction).singletonOrThrow();
    }
}
