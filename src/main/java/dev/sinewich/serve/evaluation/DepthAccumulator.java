package dev.sinewich.serve.evaluation;

import java.util.Arrays;

/**
 * Accumulates depth errors over every valid pixel of a data set (not per image): a pixel is valid
 * when its ground truth is finite and positive. Keeps two sets of sums, for the prediction as is
 * and median-scaled per image. Not thread-safe.
 */
public final class DepthAccumulator {

    /** The floor, in metres, applied to predictions before taking their logarithm. */
    public static final double LOG_EPSILON = 1e-3;

    private final Sums raw = new Sums();
    private final Sums scaled = new Sums();
    private int images;

    /**
     * Adds one image.
     *
     * @param truth ground-truth depth in metres; 0 or non-finite where invalid
     * @param predicted predicted depth in metres
     * @throws IllegalArgumentException if the sizes differ
     */
    public void add(float[] truth, float[] predicted) {
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException("ground truth has " + truth.length + " pixels, prediction "
                    + predicted.length);
        }
        int n = 0;
        double[] g = new double[truth.length];
        double[] p = new double[truth.length];
        for (int i = 0; i < truth.length; i++) {
            if (Float.isFinite(truth[i]) && truth[i] > 0) {
                g[n] = truth[i];
                p[n] = predicted[i];
                n++;
            }
        }
        if (n == 0) {
            return;
        }
        images++;
        g = Arrays.copyOf(g, n);
        p = Arrays.copyOf(p, n);
        double scale = median(g) / Math.max(median(p), LOG_EPSILON);
        for (int i = 0; i < n; i++) {
            raw.add(g[i], p[i]);
            scaled.add(g[i], p[i] * scale);
        }
    }

    /**
     * Computes the metrics from everything added so far.
     *
     * @return the metrics; errors are NaN when no valid pixel was counted
     */
    public DepthMetrics result() {
        return new DepthMetrics(raw.errors(), scaled.errors(), raw.count, images);
    }

    /** The median as NumPy defines it: the mean of the two middle values for an even count. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** Running sums of one variant. */
    private static final class Sums {
        private long count;
        private double squared;
        private double relative;
        private double logSquared;

        void add(double truth, double predicted) {
            double d = predicted - truth;
            double l = Math.log(Math.max(predicted, LOG_EPSILON)) - Math.log(truth);
            count++;
            squared += d * d;
            relative += Math.abs(d) / truth;
            logSquared += l * l;
        }

        DepthErrors errors() {
            return new DepthErrors(Math.sqrt(squared / count), relative / count, Math.sqrt(logSquared / count));
        }
    }
}
