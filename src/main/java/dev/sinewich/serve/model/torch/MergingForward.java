package dev.sinewich.serve.model.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.sinewich.serve.model.swin.PatchMerging;

/** Runs a patch merging on a pass's NDArrays (channels-last). Stateless and thread-safe. */
final class MergingForward {

    private MergingForward() {}

    /**
     * Merges 2×2 neighbourhoods.
     *
     * @param merging the merging
     * @param x (N, h, w, C) with h and w even
     * @return (N, h/2, w/2, 2C), owned by x's manager
     */
    static NDArray forward(PatchMerging merging, NDArray x) {
        int channels = merging.channels();
        Shape s = x.getShape();
        long n = s.get(0);
        long h2 = s.get(1) / 2;
        long w2 = s.get(2) / 2;
        // (n, h2, rowOffset, w2, colOffset, C) → (n, h2, w2, colOffset, rowOffset, C): channel blocks in
        // the order (0,0), (1,0), (0,1), (1,1) of (rowOffset, colOffset), i.e. x0, x1, x2, x3.
        NDArray merged = x.reshape(n, h2, 2, w2, 2, channels).transpose(0, 1, 3, 4, 2, 5)
                .reshape(n, h2, w2, 4L * channels);
        NDArray normed = TorchOps.layerNorm(merged, 4L * channels, merging.normWeight(), merging.normBias());
        return Linear.linear(normed, merging.reduction()).singletonOrThrow();
    }
}
