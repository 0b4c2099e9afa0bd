package dev.sinewich.serve.evaluation;

/**
 * Surface-normal results over all valid pixels of a data set: angular errors in degrees, shares
 * in percent.
 *
 * @param mean mean angular error
 * @param median median angular error
 * @param within11 share of pixels with an error below 11.25°
 * @param within22 share below 22.5°
 * @param within30 share below 30°
 * @param validPixels pixels whose ground truth is a finite, non-zero vector
 */
public record NormalsMetrics(double mean, double median, double within11, double within22, double within30,
        long validPixels) {}
