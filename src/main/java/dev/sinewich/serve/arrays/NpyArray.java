package dev.sinewich.serve.arrays;

import java.util.Arrays;

/**
 * A float array read from a {@code .npy} file: its shape and its values in C order. The values are
 * not copied; callers must not modify them. Immutable once built and thread-safe.
 *
 * @param shape the dimensions, outermost first
 * @param values the values, row-major
 */
public record NpyArray(long[] shape, float[] values) {

    /**
     * Returns the number of elements the shape declares.
     *
     * @return the product of the dimensions
     */
    public long elements() {
        return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    @Override
    public String toString() {
        return "float32 " + Arrays.toString(shape);
    }
}
