package dev.sinewich.serve.imaging;

/**
 * What an image file's header declares, read without decoding any pixel. Immutable and
 * thread-safe.
 *
 * @param format the file format
 * @param height the declared height in pixels, at least 1
 * @param width the declared width in pixels, at least 1
 */
public record ImageHeader(ImageFormat format, int height, int width) {

    /**
     * Returns the size for messages, width first as image tools print it.
     *
     * @return e.g. {@code "640x480"}
     */
    public String size() {
        return width + "x" + height;
    }
}
