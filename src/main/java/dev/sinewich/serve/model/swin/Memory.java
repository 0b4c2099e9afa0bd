package dev.sinewich.serve.model.swin;

import ai.djl.ndarray.NDArray;

/**
 * Byte accounting of resident arrays, for the network's layers and the model's tasks alike (public
 * for the latter, in {@code dev.sinewich.serve.model}). Stateless and thread-safe.
 */
public final class Memory {

    private Memory() {}

    /**
     * Sums the bytes of arrays, skipping nulls.
     *
     * @param arrays the arrays
     * @return their total size in bytes
     */
    public static long bytes(NDArray... arrays) {
        long total = 0;
        for (NDArray a : arrays) {
            if (a != null) {
                total += a.getShape().size() * a.getDataType().getNumOfBytes();
            }
        }
        return total;
    }
}
