package dev.sinewich.serve.serving;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Settings DJL reads once, before its engine starts: run offline (the natives come from the
 * classpath; nothing may be downloaded), send no usage tracking, and the PyTorch thread count.
 */
final class DjlSettings {

    private DjlSettings() {}

    /**
     * Applies the settings unless the operator already set them.
     *
     * @param threads intra-op threads, or 0 for PyTorch's default
     */
    static void apply(int threads) {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
        if (threads > 0) {
            setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(threads));
            setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
        }
    }

    /**
     * Sets libtorch's intra-op threads on a started engine too: DJL reads its thread property only
     * when the engine starts, which in a process that loaded a model before (tools, tests) was
     * earlier. An operator's own {@code ai.djl.pytorch.num_threads} still wins.
     *
     * @param threads intra-op threads, or 0 for PyTorch's default
     */
    static void applyThreads(int threads) {
        if (threads > 0 && Integer.toString(threads).equals(System.getProperty("ai.djl.pytorch.num_threads"))) {
            JniUtils.setNumThreads(threads);
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
