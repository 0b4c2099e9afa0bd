package dev.sinewich.serve.model.onnx;

import dev.sinewich.serve.model.swin.PatchMerging;

/** Writes a patch merging into an ONNX graph. Stateless and thread-safe. */
final class MergingEmitter {

    private MergingEmitter() {}

    /**
     * Writes the merging into an ONNX graph.
     *
     * @param merging the merging
     * @param ops the graph
     * @param x (N, h·w, C) tokens
     * @param height h
     * @param width w
     * @param hint a readable name part
     * @return (N, h·w/4, 2C) tokens
     */
    static String emit(PatchMerging merging, GraphOps ops, String x, int height, int width, String hint) {
        int channels = merging.channels();
        long h2 = height / 2;
        long w2 = width / 2;
        String merged = ops.reshape(ops.transpose(ops.reshape(x, -1, h2, 2, w2, 2, channels), 0, 1, 3, 4, 2, 5),
                -1, h2 * w2, 4L * channels);
        String normed = ops.layerNorm(merged, hint, merging.normWeight().toFloatArray(),
                merging.normBias().toFloatArray());
        return ops.linear(normed, hint + ".reduction", merging.reduction().toFloatArray(), 2 * channels,
                4 * channels, null);
    }
}
