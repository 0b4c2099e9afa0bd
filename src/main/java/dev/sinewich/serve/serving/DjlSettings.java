package dev.sinewich.serve.serving;

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

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
