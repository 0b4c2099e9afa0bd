package dev.sinewich.serve.imaging;

/**
 * One decoded image as RGB floats in [0, 1], planar (3, h, w) row-major. The array is not copied:
 * the record hands it over and nobody should modify it afterwards; equality is by identity of the
 * array. Thread-safe when so handed over.
 *
 * @param format the format the file was in
 * @param height h, at least 1
 * @param width w, at least 1
 * @param rgb 3 · h · w values: the red plane, then green, then blue
 */
public record DecodedImage(ImageFormat format, int height, int width, float[] rgb) {

    /**
     * Checks that the array matches the dimensions.
     *
     * @throws IllegalArgumentException if it does not
     */
    public DecodedImage {
        if (height < 1 || width < 1 || rgb == null || rgb.length != 3L * height * width) {
            throw new IllegalArgumentException("decoded image " + width + "x" + height + " needs "
                    + 3L * height * width + " values, found " + (rgb == null ? 0 : rgb.length));
        }
    }
}
