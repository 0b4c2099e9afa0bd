package dev.sinewich.serve.evaluation;

import java.util.Arrays;

/**
 * Accumulates per-pixel angular errors of surface normals over a data set: the angle between the
 * ground-truth and predicted vectors, each normalised to unit length, as arccos of their dot
 * product clamped to [−1, 1], in degrees. A pixel is valid when its ground truth is finite and
 * not all-zero; a zero prediction counts as 90°. Keeps every angle (4 bytes per valid pixel) for
 * the exact median. Not thread-safe.
 */
public final class NormalsAccumulator {

    private float[] angles = new float[1 << 16];
    private int count;
    private double sum;
    private long below11;
    private long below22;
    private long below30;

    /**
     * Adds one image.
     *
     * @param truth ground-truth normals, planar (3, h, w)
     * @param predicted predicted normals, planar (3, h, w)
     * @throws IllegalArgumentException if the sizes differ or are not a multiple of 3
     */
    public void add(float[] truth, float[] predicted) {
        if (truth.length != predicted.length || truth.length % 3 != 0) {
            throw new IllegalArgumentException("ground truth has " + truth.length + " values, prediction "
                    + predicted.length + "; both must be (3, h, w)");
        }
        int plane = truth.length / 3;
        for (int i = 0; i < plane; i++) {
            double gx = truth[i];
            double gy = truth[plane + i];
            double gz = truth[2 * plane + i];
            double gn = Math.sqrt(gx * gx + gy * gy + gz * gz);
            if (!Double.isFinite(gn) || gn == 0) {
                continue;
            }
            double px = predicted[i];
            double py = predicted[plane + i];
            double pz = predicted[2 * plane + i];
            double pn = Math.sqrt(px * px + py * py + pz * pz);
            double cos = pn == 0 ? 0 : (gx * px + gy * py + gz * pz) / (gn * pn);
            record(Math.toDegrees(Math.acos(Math.max(-1, Math.min(1, cos)))));
        }
    }

    private void record(double angle) {
        if (count == angles.length) {
            angles = Arrays.copyOf(angles, count * 2);
        }
        angles[count++] = (float) angle;
        sum += angle;
        below11 += angle < 11.25 ? 1 : 0;
        below22 += angle < 22.5 ? 1 : 0;
        below30 += angle < 30 ? 1 : 0;
    }

    /**
     * Computes the metrics from everything added so far.
     *
     * @return the metrics; NaN when no valid pixel was counted
     */
    public NormalsMetrics result() {
        if (count == 0) {
            return new NormalsMetrics(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
        }
        float[] sorted = Arrays.copyOf(angles, count);
        Arrays.sort(sorted);
        int mid = count / 2;
        double median = count % 2 == 1 ? sorted[mid] : ((double) sorted[mid - 1] + sorted[mid]) / 2;
        return new NormalsMetrics(sum / count, median, 100.0 * below11 / count, 100.0 * below22 / count,
                100.0 * below30 / count, count);
    }
}
