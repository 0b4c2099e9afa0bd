package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * The normalised Gaussian low-pass of SPEC §4.5, applied to a task kernel over its (out, in) index
 * grid with zero padding. The 2-D Gaussian is the outer product of a 1-D one, so it runs as two
 * 1-D cross-correlations. Immutable and thread-safe; its filters belong to the resident manager.
 */
final class Lowpass {

    private final NDArray vertical;
    private final NDArray horizontal;
    private final int pad;

    /**
     * Builds the filters.
     *
     * @param size odd filter side
     * @param sigma Gaussian standard deviation
     * @param resident the manager that owns the filters for the model's lifetime
     */
    Lowpass(int size, double sigma, NDManager resident) {
        float[] g = gaussian(size, sigma);
        this.vertical = resident.create(g, new Shape(1, 1, size, 1));
        this.horizontal = resident.create(g, new Shape(1, 1, 1, size));
        this.pad = (size - 1) / 2;
    }

    /**
     * Returns the normalised 1-D Gaussian g with g[i] ∝ exp(−(i − c)² / (2σ²)).
     *
     * @param size odd filter side
     * @param sigma standard deviation
     * @return the weights, summing to 1
     */
    static float[] gaussian(int size, double sigma) {
        double c = (size - 1) / 2.0;
        double[] g = new double[size];
        double sum = 0;
        for (int i = 0; i < size; i++) {
            g[i] = Math.exp(-(i - c) * (i - c) / (2 * sigma * sigma));
            sum += g[i];
        }
        float[] out = new float[size];
        for (int i = 0; i < size; i++) {
            out[i] = (float) (g[i] / sum);
        }
        return out;
    }

    /**
     * Filters a kernel.
     *
     * @param kernel an (out, in) array
     * @return the filtered (out, in) array, owned by the kernel's manager
     */
    NDArray apply(NDArray kernel) {
        Shape shape = kernel.getShape();
        NDArray grid = kernel.reshape(1, 1, shape.get(0), shape.get(1));
        NDArray rows = Conv2d.conv2d(grid, vertical, null, new Shape(1, 1), new Shape(pad, 0))
                .singletonOrThrow();
        NDArray both = Conv2d.conv2d(rows, horizontal, null, new Shape(1, 1), new Shape(0, pad))
                .singletonOrThrow();
        return both.reshape(shape);
    }
}
