package dev.sinewich.serve.model;


/**
 * Brings received images to the model input size (SPEC §4.1) in plain Java: antialiased bilinear
 * resampling (align_corners = false; per axis, scale = in/out, support max(scale, 1), triangle
 * weights normalised to 1). Separable passes touch only the few taps each output needs, so a large
 * photo costs milliseconds. The normalisation (x − mean) / std is the engine's first step.
 * Immutable and thread-safe.
 */
final class InputResampler {

    private final int height;
    private final int width;

    /**
     * Creates a resampler for a model input.
     *
     * @param height H
     * @param width W
     */
    InputResampler(int height, int width) {
        this.height = height;
        this.width = width;
    }

    /**
     * Resamples a batch to the model input size.
     *
     * @param images the images as received
     * @return (N, 3, H, W) values in [0, 1]: the batch's own array when it already has that size
     *     (not to be modified), else a new one
     */
    float[] resize(ImageBatch images) {
        int h = images.height();
        int w = images.width();
        float[] src = images.pixels();
        if (h == height && w == width) {
            return src;
        }
        int planes = images.count() * 3;
        float[] out = new float[planes * height * width];
        Taps rows = Taps.of(h, height);
        Taps cols = Taps.of(w, width);
        // both passes in double, rounded once: float32 pixel centres drift far enough from the
        // SPEC kernel to matter after a deep network
        double[] tmp = new double[h * width];
        for (int p = 0; p < planes; p++) {
            int srcOff = p * h * w;
            for (int y = 0; y < h; y++) {
                cols.horizontal(src, srcOff + y * w, tmp, y * width);
            }
            int outOff = p * height * width;
            for (int x = 0; x < width; x++) {
                rows.vertical(tmp, x, width, out, outOff + x, width);
            }
        }
        return out;
    }

    /** The taps and weights of a 1-D antialiased bilinear resampling. */
    static final class Taps {
        final int[] first;
        final double[][] weights;

        private Taps(int[] first, double[][] weights) {
            this.first = first;
            this.weights = weights;
        }

        /**
         * Computes the taps for an axis, as PyTorch's antialiased bilinear does.
         *
         * @param in input length
         * @param out output length
         * @return the taps
         */
        static Taps of(int in, int out) {
            double scale = (double) in / out;
            double support = Math.max(scale, 1.0);
            int[] first = new int[out];
            double[][] weights = new double[out][];
            for (int i = 0; i < out; i++) {
                double center = scale * (i + 0.5);
                int lo = Math.max((int) Math.floor(center - support + 0.5), 0);
                int hi = Math.min((int) Math.floor(center + support + 0.5), in);
                double[] w = new double[Math.max(hi - lo, 0)];
                double total = 0;
                for (int j = 0; j < w.length; j++) {
                    double d = Math.abs(j + lo + 0.5 - center) / support;
                    w[j] = Math.max(0.0, 1.0 - d);
                    total += w[j];
                }
                for (int j = 0; j < w.length; j++) {
                    w[j] = total != 0 ? w[j] / total : 0.0;
                }
                first[i] = lo;
                weights[i] = w;
            }
            return new Taps(first, weights);
        }

        void horizontal(float[] src, int srcOff, double[] dst, int dstOff) {
            for (int i = 0; i < first.length; i++) {
                double[] w = weights[i];
                int s = srcOff + first[i];
                double acc = 0;
                for (int j = 0; j < w.length; j++) {
                    acc += w[j] * src[s + j];
                }
                dst[dstOff + i] = acc;
            }
        }

        void vertical(double[] src, int srcOff, int srcStride, float[] dst, int dstOff, int dstStride) {
            for (int i = 0; i < first.length; i++) {
                double[] w = weights[i];
                int s = srcOff + first[i] * srcStride;
                double acc = 0;
                for (int j = 0; j < w.length; j++, s += srcStride) {
                    acc += w[j] * src[s];
                }
                dst[dstOff + i * dstStride] = (float) acc;
            }
        }
    }
}
