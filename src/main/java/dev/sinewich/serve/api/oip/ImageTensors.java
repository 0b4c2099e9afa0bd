package dev.sinewich.serve.api.oip;

import dev.sinewich.serve.imaging.ImageLimits;
import dev.sinewich.serve.imaging.ImageTooLargeException;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.InvalidInputException;

/**
 * Turns the {@code image} input tensor of an inference request into an {@link ImageBatch}
 * (SPEC §5): FP32 (N, 3, h, w) in [0, 1] used as is, or UINT8 (N, h, w, 3) read as v / 255.
 * Stateless and thread-safe.
 */
public final class ImageTensors {

    /** The most values one request's images may have: they must fit one Java array. */
    private static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    private ImageTensors() {}

    /**
     * Checks an image tensor's shape for a datatype before any data is read, by the same limits
     * as encoded images: one image at most {@code sinewich.limits.max-image-pixels} (h·w), the
     * request at most {@code sinewich.limits.max-request-pixels} (N·h·w).
     *
     * @param datatype FP32 or UINT8
     * @param shape the declared shape
     * @param limits the image limits
     * @return the number of elements the data must hold
     * @throws InvalidInputException naming what is wrong
     * @throws ImageTooLargeException over a pixel limit
     */
    public static int checkShape(String datatype, long[] shape, ImageLimits limits) {
        if (shape.length != 4) {
            throw new InvalidInputException("input 'image' must have 4 dimensions, "
                    + expectedLayout(datatype) + "; found " + shape.length);
        }
        for (long d : shape) {
            if (d < 1) {
                throw new InvalidInputException("input 'image' dimensions must be positive, found "
                        + java.util.Arrays.toString(shape));
            }
        }
        int channelAxis = "UINT8".equals(datatype) ? 3 : 1;
        if (shape[channelAxis] != 3) {
            throw new InvalidInputException("input 'image' must be " + expectedLayout(datatype)
                    + " with 3 RGB channels; found shape " + java.util.Arrays.toString(shape));
        }
        int h = channelAxis == 1 ? 2 : 1;
        long perImage = multiply(shape[h], shape[h + 1]);
        if (perImage > limits.maxPixels()) {
            throw new ImageTooLargeException("input 'image' has " + shape[h] + " × " + shape[h + 1] + " = " + perImage
                    + " pixels per image; at most " + limits.maxPixels()
                    + " are accepted (sinewich.limits.max-image-pixels)");
        }
        limits.checkRequest(shape[0], shape[h], shape[h + 1]);
        long pixels = multiply(shape[0], perImage);
        if (multiply(pixels, 3) > MAX_VALUES) {
            throw new ImageTooLargeException("input 'image' has " + pixels + " pixels in " + shape[0]
                    + " images, more than one request can hold; send fewer or smaller images");
        }
        return (int) (pixels * 3);
    }

    private static long multiply(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static String expectedLayout(String datatype) {
        return "UINT8".equals(datatype) ? "UINT8 (N, h, w, 3)" : "FP32 (N, 3, h, w)";
    }

    /**
     * Wraps FP32 (N, 3, h, w) data, checking that every value is finite.
     *
     * @param shape the checked shape
     * @param data the values
     * @return the batch
     */
    public static ImageBatch fromFp32(long[] shape, float[] data) {
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new InvalidInputException("input 'image' element " + i + " is " + data[i]
                        + "; pixel values must be finite");
            }
        }
        return new ImageBatch((int) shape[0], (int) shape[2], (int) shape[3], data);
    }

    /**
     * Converts UINT8 (N, h, w, 3) data to (N, 3, h, w) floats v / 255.
     *
     * @param shape the checked shape
     * @param data the bytes, row-major, read as unsigned
     * @return the batch
     */
    public static ImageBatch fromUint8(long[] shape, byte[] data) {
        int n = (int) shape[0];
        int h = (int) shape[1];
        int w = (int) shape[2];
        float[] pixels = new float[data.length];
        int plane = h * w;
        for (int b = 0; b < n; b++) {
            int base = b * 3 * plane;
            for (int p = 0; p < plane; p++) {
                int src = base + p * 3;
                pixels[base + p] = (data[src] & 0xff) / 255f;
                pixels[base + plane + p] = (data[src + 1] & 0xff) / 255f;
                pixels[base + 2 * plane + p] = (data[src + 2] & 0xff) / 255f;
            }
        }
        return new ImageBatch(n, h, w, pixels);
    }
}
