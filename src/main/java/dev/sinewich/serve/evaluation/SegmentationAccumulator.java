package dev.sinewich.serve.evaluation;

import java.util.ArrayList;
import java.util.List;

/**
 * Accumulates a confusion matrix over a data set for semantic segmentation: rows are ground-truth
 * classes, columns predicted classes, plus one column for predictions that are none of the data
 * set's classes (they count as false negatives of the true class only). Pixels whose ground truth
 * is the ignore label are skipped. Not thread-safe.
 */
public final class SegmentationAccumulator {

    private final int classes;
    private final int ignoreLabel;
    private final long[][] confusion;

    /**
     * Creates an empty accumulator.
     *
     * @param classes the number of data set classes K
     * @param ignoreLabel the ground-truth value to skip
     */
    public SegmentationAccumulator(int classes, int ignoreLabel) {
        if (classes < 1) {
            throw new IllegalArgumentException("at least one class is needed, found " + classes);
        }
        this.classes = classes;
        this.ignoreLabel = ignoreLabel;
        this.confusion = new long[classes][classes + 1];
    }

    /**
     * Adds one image.
     *
     * @param truth ground-truth class indices, or the ignore label
     * @param predicted predicted data set class indices; a value outside [0, K) is "no data set class"
     * @throws IllegalArgumentException if the sizes differ or a ground-truth value is neither a
     *     class nor the ignore label
     */
    public void add(int[] truth, int[] predicted) {
        if (truth.length != predicted.length) {
            throw new IllegalArgumentException("ground truth has " + truth.length + " pixels, prediction "
                    + predicted.length);
        }
        for (int i = 0; i < truth.length; i++) {
            int g = truth[i];
            if (g == ignoreLabel) {
                continue;
            }
            if (g < 0 || g >= classes) {
                throw new IllegalArgumentException("ground-truth label " + g + " is not a class below " + classes);
            }
            int p = predicted[i];
            confusion[g][p >= 0 && p < classes ? p : classes]++;
        }
    }

    /**
     * Computes the metrics from everything added so far.
     *
     * @return the metrics; mIoU and accuracy are 0 when no pixel was counted
     */
    public SegmentationMetrics result() {
        long total = 0;
        long correct = 0;
        List<Double> perClass = new ArrayList<>();
        double sum = 0;
        int present = 0;
        for (int c = 0; c < classes; c++) {
            long tp = confusion[c][c];
            long row = 0;
            for (long v : confusion[c]) {
                row += v;
            }
            long column = 0;
            for (int g = 0; g < classes; g++) {
                column += confusion[g][c];
            }
            total += row;
            correct += tp;
            long union = row + column - tp;
            if (union == 0) {
                perClass.add(null);
            } else {
                double iou = 100.0 * tp / union;
                perClass.add(iou);
                sum += iou;
                present++;
            }
        }
        return new SegmentationMetrics(present == 0 ? 0 : sum / present, total == 0 ? 0 : 100.0 * correct / total,
                perClass, total);
    }
}
