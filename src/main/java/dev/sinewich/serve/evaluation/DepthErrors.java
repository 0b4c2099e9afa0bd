package dev.sinewich.serve.evaluation;

/**
 * Depth errors over all valid pixels of a data set, in metres where they have a unit.
 *
 * @param rmse sqrt(mean((d − d*)²))
 * @param absRel mean(|d − d*| / d*)
 * @param logRmse sqrt(mean((ln max(d, ε) − ln d*)²)), ε = {@value DepthAccumulator#LOG_EPSILON} m
 */
public record DepthErrors(double rmse, double absRel, double logRmse) {}
