package dev.sinewich.serve.evaluation;

/**
 * Depth results over a data set.
 *
 * @param errors the errors of the prediction as is
 * @param medianScaled the errors after scaling each image's prediction by median(d*) / median(d)
 *     over its valid pixels (for data sets whose scale the model cannot know)
 * @param validPixels pixels with a finite, positive ground truth
 * @param images images with at least one valid pixel
 */
public record DepthMetrics(DepthErrors errors, DepthErrors medianScaled, long validPixels, int images) {}
