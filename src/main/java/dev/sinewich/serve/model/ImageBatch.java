package dev.sinewich.serve.model;

/**
 * N RGB images of one size as plain floats in [0, 1], laid out (N, 3, h, w) row-major. The pixel
 * array is not copied: callers hand it over and must not modify it afterwards.
 *
 * @param count N, at least 1
 * @param height h, at least 1
 * @param width w, at least 1
 * @param pixels N·3·h·w values
 */
public record ImageBatch(int count, int height, int width, float[] pixels) {

    /**
     * Validates the layout.
     *
     * @throws InvalidInputException if a dimension is not positive or the pixel count does not match
     */
    public ImageBatch {
        if (count < 1 || height < 1 || width < 1) {
            throw new InvalidInputException("image batch dimensions must be positive, found N=" + count
                    + ", h=" + height + ", w=" + width);
        }
        long expected = 3L * count * height * width;
        if (pixels == null || pixels.length != expected) {
            throw new InvalidInputException("image batch (N=" + count + ", 3, h=" + height + ", w=" + width
                    + ") needs " + expected + " values, found " + (pixels == null ? 0 : pixels.length));
        }
    }
}
