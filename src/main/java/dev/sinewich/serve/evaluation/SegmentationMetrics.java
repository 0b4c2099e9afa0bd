package dev.sinewich.serve.evaluation;

import java.util.List;

/**
 * Semantic segmentation results over a data set, in percent.
 *
 * @param miou mean of the per-class IoU over the classes present in the ground truth or the
 *     prediction
 * @param pixelAccuracy correctly labelled pixels over all labelled pixels
 * @param perClassIou per class (data set order) TP / (TP + FP + FN), or {@code null} for a class
 *     neither labelled nor predicted
 * @param pixels labelled (not ignored) pixels counted
 */
public record SegmentationMetrics(double miou, double pixelAccuracy, List<Double> perClassIou, long pixels) {

    /** Copies the list, which may hold {@code null}. */
    public SegmentationMetrics {
        perClassIou = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(perClassIou));
    }
}
