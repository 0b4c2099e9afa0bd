package dev.sinewich.serve.evaluation;

/**
 * Accumulates saliency counts over a data set at the 15 thresholds t = 0.20, 0.25, …, 0.90: a
 * pixel is predicted salient when its probability is strictly above t, and truly salient when its
 * ground truth is above 0.5. True positives, false positives and false negatives are summed over
 * the set per threshold (for max-F); the IoU of each image is averaged per threshold (for max-IoU),
 * an image with neither truth nor prediction counting as IoU 1. Not thread-safe.
 */
public final class SaliencyAccumulator {

    /** The F-measure weight β² that saliency papers use. */
    public static final double BETA_SQUARED = 0.3;

    private static final int THRESHOLDS = 15;

    private final long[] tp = new long[THRESHOLDS];
    private final long[] fp = new long[THRESHOLDS];
    private final long[] fn = new long[THRESHOLDS];
    private final double[] iouSum = new double[THRESHOLDS];
    private int images;

    /**
     * Returns threshold i, (20 + 5·i) / 100.
     *
     * @param i 0 to 14
     * @return the threshold
     */
    public static double threshold(int i) {
        return (20 + 5 * i) / 100.0;
    }

    /**
     * Adds one image.
     *
     * @param truth ground truth in [0, 1]
     * @param predicted saliency probabilities
     * @throws IllegalArgumentException if the sizes differ
     */
    public void add(float[] truth, float[] predicted) {
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException("ground truth has " + truth.length + " pixels, prediction "
                    + predicted.length);
        }
        images++;
        for (int t = 0; t < THRESHOLDS; t++) {
            double threshold = threshold(t);
            long both = 0;
            long onlyPredicted = 0;
            long onlyTrue = 0;
            for (int i = 0; i < truth.length; i++) {
                boolean g = truth[i] > 0.5f;
                boolean p = predicted[i] > threshold;
                if (g && p) {
                    both++;
                } else if (p) {
                    onlyPredicted++;
                } else if (g) {
                    onlyTrue++;
                }
            }
            tp[t] += both;
            fp[t] += onlyPredicted;
            fn[t] += onlyTrue;
            long union = both + onlyPredicted + onlyTrue;
            iouSum[t] += union == 0 ? 1.0 : (double) both / union;
        }
    }

    /**
     * Computes the metrics from everything added so far.
     *
     * @return the metrics; an empty precision or recall counts as 0
     */
    public SaliencyMetrics result() {
        double bestF = -1;
        int bestFAt = 0;
        double bestF1 = 0;
        double bestIou = -1;
        int bestIouAt = 0;
        for (int t = 0; t < THRESHOLDS; t++) {
            double precision = tp[t] + fp[t] == 0 ? 0 : (double) tp[t] / (tp[t] + fp[t]);
            double recall = tp[t] + fn[t] == 0 ? 0 : (double) tp[t] / (tp[t] + fn[t]);
            double f = fMeasure(precision, recall, BETA_SQUARED);
            if (f > bestF) {
                bestF = f;
                bestFAt = t;
            }
            bestF1 = Math.max(bestF1, fMeasure(precision, recall, 1));
            double iou = images == 0 ? 0 : iouSum[t] / images;
            if (iou > bestIou) {
                bestIou = iou;
                bestIouAt = t;
            }
        }
        return new SaliencyMetrics(100 * bestF, threshold(bestFAt), 100 * bestF1, 100 * bestIou,
                threshold(bestIouAt), images);
    }

    private static double fMeasure(double precision, double recall, double betaSquared) {
        double denominator = betaSquared * precision + recall;
        return denominator == 0 ? 0 : (1 + betaSquared) * precision * recall / denominator;
    }
}
