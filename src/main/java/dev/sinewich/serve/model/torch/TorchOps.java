package dev.sinewich.serve.model.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The few PyTorch operations the DJL NDArray API does not expose directly, and torchvision's
 * LayerNorm as every layer of the network uses it. Stateless and thread-safe. (The engine name and
 * per-thread grad mode are the tensor store's: {@link dev.sinewich.serve.model.TensorStore}.)
 */
final class TorchOps {

    /** PyTorch's interpolation mode code for bilinear. */
    private static final int BILINEAR = 2;

    /** torchvision's LayerNorm epsilon. */
    private static final float LAYER_NORM_EPS = 1e-5f;

    private TorchOps() {}

    /**
     * Bilinear resize with align_corners = false and no antialiasing, as
     * {@code torch.nn.functional.interpolate(x, size, mode="bilinear")}, enlarging or shrinking.
     *
     * @param x an (N, C, h, w) array
     * @param height output height
     * @param width output width
     * @return the (N, C, height, width) array, owned by x's manager
     */
    static NDArray bilinear(NDArray x, long height, long width) {
        int h = (int) x.getShape().get(2);
        int w = (int) x.getShape().get(3);
        if (h == height && w == width) {
            return x;
        }
        if (height >= h && width >= w) {
            return JniUtils.interpolate((PtNDArray) x, new long[] {height, width}, BILINEAR, false);
        }
        // libtorch's kernel as DJL calls it antialiases an axis that shrinks, which SPEC §4.8 does
        // not: shrinking goes through two products with the plain bilinear matrices instead
        NDManager manager = x.getManager();
        try (NDArray rows = manager.create(bilinearMatrix(h, (int) height), new Shape(height, h));
                NDArray cols = manager.create(bilinearMatrix(w, (int) width), new Shape(width, w));
                NDArray colsT = cols.transpose();
                NDArray half = x.matMul(colsT)) {
            return rows.matMul(half);
        }
    }

    /**
     * The (out, in) matrix of a 1-D bilinear resize with align_corners = false and no
     * antialiasing: source position scale·(i + 0.5) − 0.5, clamped at 0, two taps.
     *
     * @param in input length
     * @param out output length
     * @return row-major weights, each row summing to 1
     */
    static float[] bilinearMatrix(int in, int out) {
        float[] m = new float[out * in];
        double scale = (double) in / out;
        for (int i = 0; i < out; i++) {
            double src = Math.max(scale * (i + 0.5) - 0.5, 0.0);
            int i0 = Math.min((int) src, in - 1);
            int i1 = Math.min(i0 + 1, in - 1);
            double l1 = Math.min(src - i0, 1.0);
            m[i * in + i0] += (float) (1.0 - l1);
            m[i * in + i1] += (float) l1;
        }
        return m;
    }

    /**
     * Selects rows along axis 1: {@code x[:, index]}.
     *
     * @param x an array of rank ≥ 2
     * @param index an int64 vector of positions on axis 1
     * @return the gathered array, owned by x's manager
     */
    static NDArray takeAxis1(NDArray x, NDArray index) {
        return x.get(new NDIndex(":, {}", index));
    }

    /**
     * LayerNorm over the last axis with torchvision's epsilon.
     *
     * @param x (…, channels)
     * @param channels the last axis' length
     * @param weight (channels)
     * @param bias (channels)
     * @return (…, channels), owned by x's manager
     */
    static NDArray layerNorm(NDArray x, long channels, NDArray weight, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(channels), weight, bias, LAYER_NORM_EPS).singletonOrThrow();
    }
}
