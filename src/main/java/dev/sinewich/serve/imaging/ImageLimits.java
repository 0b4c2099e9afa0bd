package dev.sinewich.serve.imaging;

import java.util.EnumSet;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;

/**
 * What the images of one request may be: each encoded file at most {@code maxBytes} bytes, with a
 * header that declares at most {@code maxPixels} pixels (width · height) and one of the allowed
 * formats; all of them together at most {@code maxRequestPixels} pixels. Immutable and thread-safe.
 *
 * @param maxPixels the largest width · height one image may declare, at least 1
 * @param maxRequestPixels the most pixels (N · width · height) one request may carry, at least 1
 * @param maxBytes the largest encoded file, in bytes, at least 1
 * @param formats the accepted formats, not empty
 * @param onAccepted told the pixel count of a request once {@link #checkRequest} has accepted it,
 *     before any pixel buffer is allocated (a request's memory reservation; may throw to refuse it)
 */
public record ImageLimits(long maxPixels, long maxRequestPixels, long maxBytes, Set<ImageFormat> formats,
        LongConsumer onAccepted) {

    private static final LongConsumer NOTHING = pixels -> { };

    /** 4096 × 4096 pixels: one decoded image then takes 192 MiB of floats. */
    public static final long DEFAULT_MAX_PIXELS = 4096L * 4096L;

    /** 64 MiB of encoded bytes per image. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;

    /**
     * Validates the limits and copies the format set.
     *
     * @throws IllegalArgumentException if a limit is not positive or no format is allowed
     */
    public ImageLimits {
        if (maxPixels < 1 || maxRequestPixels < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("image limits must be positive, found maxPixels=" + maxPixels
                    + ", maxRequestPixels=" + maxRequestPixels + ", maxBytes=" + maxBytes);
        }
        if (formats == null || formats.isEmpty()) {
            throw new IllegalArgumentException("image limits must allow at least one format");
        }
        formats = Set.copyOf(EnumSet.copyOf(formats));
        onAccepted = onAccepted == null ? NOTHING : onAccepted;
    }

    /**
     * Creates limits that tell nobody about accepted requests.
     *
     * @param maxPixels the largest width · height of one image
     * @param maxRequestPixels the most pixels of all images of one request
     * @param maxBytes the largest encoded file, in bytes
     * @param formats the accepted formats
     */
    public ImageLimits(long maxPixels, long maxRequestPixels, long maxBytes, Set<ImageFormat> formats) {
        this(maxPixels, maxRequestPixels, maxBytes, formats, NOTHING);
    }

    /**
     * Returns these limits for one request: {@code onAccepted} is told its pixel count once the
     * count is checked, before decoding.
     *
     * @param onAccepted the request's reservation of memory for its pixels
     * @return the limits
     */
    public ImageLimits forRequest(LongConsumer onAccepted) {
        return new ImageLimits(maxPixels, maxRequestPixels, maxBytes, formats, onAccepted);
    }

    /**
     * Returns limits that accept PNG and JPEG.
     *
     * @param maxPixels the largest width · height of one image
     * @param maxRequestPixels the most pixels of all images of one request
     * @param maxBytes the largest encoded file, in bytes
     * @return the limits
     */
    public static ImageLimits of(long maxPixels, long maxRequestPixels, long maxBytes) {
        return new ImageLimits(maxPixels, maxRequestPixels, maxBytes, EnumSet.allOf(ImageFormat.class));
    }

    /**
     * Returns limits that accept PNG and JPEG, a request at most one largest image.
     *
     * @param maxPixels the largest width · height of one image, and of all images of one request
     * @param maxBytes the largest encoded file, in bytes
     * @return the limits
     */
    public static ImageLimits of(long maxPixels, long maxBytes) {
        return of(maxPixels, maxPixels, maxBytes);
    }

    /**
     * Checks a request's total pixel count, known from its shape or its files' headers, before any
     * pixel buffer is allocated.
     *
     * @param images N
     * @param height h of every image
     * @param width w of every image
     * @throws ImageTooLargeException when N · h · w is over {@link #maxRequestPixels}
     * @throws RuntimeException what {@link #onAccepted} throws to refuse the request
     */
    public void checkRequest(long images, long height, long width) {
        long pixels;
        try {
            pixels = Math.multiplyExact(images, Math.multiplyExact(height, width));
        } catch (ArithmeticException e) {
            pixels = Long.MAX_VALUE;
        }
        if (pixels > maxRequestPixels) {
            throw new ImageTooLargeException(images + (images == 1 ? " image" : " images") + " of " + width + "x" + height
                    + " pixels make " + (pixels == Long.MAX_VALUE ? "too many" : String.valueOf(pixels))
                    + " pixels; at most " + maxRequestPixels
                    + " are accepted per request (sinewich.limits.max-request-pixels)");
        }
        onAccepted.accept(pixels);
    }

    /**
     * Returns the default limits: {@link #DEFAULT_MAX_PIXELS}, {@link #DEFAULT_MAX_BYTES}, PNG and
     * JPEG.
     *
     * @return the default limits
     */
    public static ImageLimits defaults() {
        return of(DEFAULT_MAX_PIXELS, DEFAULT_MAX_BYTES);
    }

    /**
     * Says whether a format is accepted.
     *
     * @param format the format
     * @return {@code true} if files of that format may be decoded
     */
    public boolean allows(ImageFormat format) {
        return formats.contains(format);
    }

    /**
     * Lists the accepted formats for a message.
     *
     * @return e.g. {@code "PNG or JPEG"}
     */
    String describeFormats() {
        return EnumSet.copyOf(formats).stream().map(Enum::name).collect(Collectors.joining(" or "));
    }
}
