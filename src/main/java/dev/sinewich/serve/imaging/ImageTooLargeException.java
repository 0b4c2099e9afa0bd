package dev.sinewich.serve.imaging;

/**
 * An image file, or a batch of them, over the {@link ImageLimits}: more encoded bytes than
 * {@link ImageLimits#maxBytes()}, or a header that declares more pixels than
 * {@link ImageLimits#maxPixels()} (checked before any pixel is allocated, so decompression bombs
 * cost nothing). A subclass of {@link ImageFormatException} so that a front end that only knows
 * the parent still answers 400; one that knows this class should answer 413 (Content Too Large),
 * and on gRPC INVALID_ARGUMENT rather than RESOURCE_EXHAUSTED, which clients read as "retry
 * later" although the same file will always fail.
 */
public class ImageTooLargeException extends ImageFormatException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the size found and the limit, for the caller
     */
    public ImageTooLargeException(String message) {
        super(message);
    }
}
