package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;

/** Byte accounting of resident arrays. Stateless and thread-safe. */
final class Memory {

    private Memory() {}

    /**
     * Sums the bytes of arrays, skipping nulls.
     *
     * @param arrays the arrays
     * @return their total size in bytes
     */
    static long bytes(NDArray... arrays) {
        long total = 0;
        for (NDArray a : arrays) {
            if (a != null) {
                total += a.getShape().size() * a.getDataType().getNumOfBytes();
            }
        }
        return total;
    }
}
