package dev.sinewich.serve.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Where every array of the model lives, whichever engine runs the network: the resident weights,
 * the task weights and each pass's arrays are DJL NDArrays of the PyTorch engine. Public so that an
 * engine, or a test, in another package makes its managers on the same engine and thread state.
 * Stateless and thread-safe.
 */
public final class TensorStore {

    /** The DJL engine every array of the model belongs to. */
    public static final String ENGINE = "PyTorch";

    private static final ThreadLocal<Boolean> GRAD_OFF = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private TensorStore() {}

    /**
     * Turns autograd off on the calling thread. PyTorch's grad mode is thread-local and DJL turns it
     * off only on the thread that started the engine; without this every inference thread would
     * build autograd graphs and leak memory.
     */
    public static void disableGradOnThisThread() {
        if (!GRAD_OFF.get()) {
            Engine.getEngine(ENGINE); // loads libtorch before the first JNI call

            JniUtils.setGradMode(false);
            GRAD_OFF.set(Boolean.TRUE);
        }
    }
}
