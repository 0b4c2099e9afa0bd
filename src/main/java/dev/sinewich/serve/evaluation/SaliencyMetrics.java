package dev.sinewich.serve.evaluation;

/**
 * Saliency results over a data set, in percent, each the best over the thresholds
 * {0.20, 0.25, …, 0.90}.
 *
 * @param maxF the largest F-measure with β² = 0.3, from precision and recall accumulated over the set
 * @param maxFThreshold the threshold that gives it
 * @param maxF1 the largest F-measure with β² = 1
 * @param maxIou the largest mean per-image IoU
 * @param maxIouThreshold the threshold that gives it
 * @param images images counted
 */
public record SaliencyMetrics(double maxF, double maxFThreshold, double maxF1, double maxIou,
        double maxIouThreshold, int images) {}
