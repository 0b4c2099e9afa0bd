package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * The normalised Gaussian low-pass of SPEC §4.5, applied to a task kernel over its (out, in) index
 * grid with zero padding. The 2-D Gaussian is the outer product of a 1-D one, so it runs as two
 * 1-D cross-correlations, each a weighted sum of shifted copies of the zero-padded kernel: a few
 * elementwise passes, where a single-channel convolution of a (3072, 768) "image" is one of
 * PyTorch's slowest CPU paths. Immutable and thread-safe.
 */
final class Lowpass {

    private final float[] weights;
    private final int pad;

    /**
     * Builds the filter.
     *
     * @param size odd filter side
     * @param sigma Gaussian standard deviation
     */
    Lowpass(int size, double sigma) {
        this.weights = gaussian(size, sigma);
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
        return along(along(kernel, 0), 1);
    }

    /** out[r] = Σ_i g[i] · padded[r + i] along one axis, with `pad` zeros on each side. */
    private NDArray along(NDArray x, int axis) {
        Shape shape = x.getShape();
        long length = shape.get(axis);
        Shape padShape = axis == 0 ? new Shape(pad, shape.get(1)) : new Shape(shape.get(0), pad);
        NDArray zeros = x.getManager().zeros(padShape);
        NDArray padded = NDArrays.concat(new NDList(zeros, x, zeros), axis);
        NDArray acc = null;
        for (int i = 0; i < weights.length; i++) {
            NDArray shifted = padded.get(axis == 0 ? new NDIndex("{}:{}, :", i, i + length)
                    : new NDIndex(":, {}:{}", i, i + length));
            NDArray term = shifted.mul(weights[i]);
            shifted.close();
            if (acc == null) {
                acc = term;
            } else {
                acc.addi(term);
                term.close();
            }
        }
        padded.close();
        zeros.close();
        return acc;
    }
}
