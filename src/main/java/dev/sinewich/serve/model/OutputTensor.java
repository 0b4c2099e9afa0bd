package dev.sinewich.serve.model;

import java.util.Arrays;

/**
 * One named output tensor as plain Java data, so that nothing native outlives the forward pass.
 * Exactly one of {@link #floats()} and {@link #ints()} is non-null. Immutable once built (the
 * arrays are not copied: callers must not modify them) and thread-safe.
 *
 * @param name the output name, e.g. {@code depth}
 * @param shape the dimensions, batch first
 * @param floats FP32 values row-major, or {@code null}
 * @param ints INT32 values row-major, or {@code null}
 */
public record OutputTensor(String name, long[] shape, float[] floats, int[] ints) {

    /**
     * Returns the Open Inference Protocol datatype.
     *
     * @return {@code FP32} or {@code INT32}
     */
    public String datatype() {
        return floats != null ? "FP32" : "INT32";
    }

    /**
     * Returns the number of elements.
     *
     * @return the element count
     */
    public int size() {
        return floats != null ? floats.length : ints.length;
    }

    @Override
    public String toString() {
        return name + " " + datatype() + " " + Arrays.toString(shape);
    }
}
