package dev.sinewich.serve.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The few PyTorch operations the DJL NDArray API does not expose directly. Stateless and
 * thread-safe.
 */
final class TorchOps {

    /** The DJL engine every array of the model belongs to. */
    static final String ENGINE = "PyTorch";

    /** PyTorch's interpolation mode code for bilinear. */
    private static final int BILINEAR = 2;

    private static final ThreadLocal<Boolean> GRAD_OFF = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private TorchOps() {}

    /**
     * Turns autograd off on the calling thread. PyTorch's grad mode is thread-local and DJL turns it
     * off only on the thread that started the engine; without this every inference thread would
     * build autograd graphs and leak memory.
     */
    static void disableGradOnThisThread() {
        if (!GRAD_OFF.get()) {
            Engine.getEngine(ENGINE); // loads libtorch before the first JNI call

            JniUtils.setGradMode(false);
            GRAD_OFF.set(Boolean.TRUE);
        }
    }

    /**
     * Bilinear resize with align_corners = false and no antialiasing, exactly
     * {@code torch.nn.functional.interpolate(x, size, mode="bilinear")}.
     *
     * @param x an (N, C, h, w) array
     * @param height output height
     * @param width output width
     * @return the (N, C, height, width) array, owned by x's manager
     */
    static NDArray bilinear(NDArray x, long height, long width) {
        if (x.getShape().get(2) == height && x.getShape().get(3) == width) {
            return x;
        }
        return JniUtils.interpolate((PtNDArray) x, new long[] {height, width}, BILINEAR, false);
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
}
