package dev.sinewich.serve.imaging;

import java.util.List;
import java.util.Objects;

/**
 * Decodes PNG and JPEG files to RGB floats in [0, 1] by the rules of SPEC §5: 8- or 16-bit, grey,
 * grey + alpha, palette or RGB(A); alpha dropped; 16-bit samples read as v / 65535 and 8-bit as
 * v / 255, exactly (see {@link RasterConverter}); JPEG as {@code javax.imageio} decodes it. Every
 * check that needs only the file's first bytes or its header (empty file, byte count, format,
 * declared size) runs before a pixel is allocated, and every failure is an
 * {@link ImageFormatException} (or its subclass {@link ImageTooLargeException}) with a message for
 * the caller. Stateless and thread-safe: each call uses its own {@code ImageReader}.
 */
public final class ImageDecoder {

    private ImageDecoder() {}

    /**
     * Reads and checks a file's header without decoding its pixels.
     *
     * @param bytes the encoded file
     * @param limits what the file may be
     * @return the format and declared size
     * @throws ImageTooLargeException if the file has more bytes, or declares more pixels, than allowed
     * @throws ImageFormatException if the file is empty, of another format, or its header is corrupt
     */
    public static ImageHeader readHeader(byte[] bytes, ImageLimits limits) {
        ImageFormat format = check(bytes, limits);
        return ImageIoReader.read(bytes, format, reader -> reader.header(limits));
    }

    /**
     * Decodes one PNG or JPEG file.
     *
     * @param bytes the encoded file
     * @param limits what the file may be
     * @return the image as planar (3, h, w) RGB floats
     * @throws ImageTooLargeException if the file has more bytes, or declares more pixels, than allowed
     * @throws ImageFormatException if the file is empty, of another format, truncated, corrupt or
     *     of an unsupported colour type
     */
    public static DecodedImage decode(byte[] bytes, ImageLimits limits) {
        ImageHeader declared = readHeader(bytes, limits);
        // outside the reader, so that a refusal by the request's reservation is not taken for a corrupt file
        limits.checkRequest(1, declared.height(), declared.width());
        ImageFormat format = check(bytes, limits);
        return ImageIoReader.read(bytes, format, reader -> {
            ImageHeader header = reader.header(limits);
            float[] rgb = new float[3 * header.height() * header.width()];
            reader.decodeInto(header, rgb, 0);
            return new DecodedImage(format, header.height(), header.width(), rgb);
        });
    }

    /**
     * Decodes the N files of one request into one (N, 3, h, w) array. All headers are read and
     * compared first, so a batch of mixed sizes fails before any image is decoded. Messages name
     * the failing file as {@code image[i]}.
     *
     * @param files the encoded files, at least one
     * @param limits what each file may be
     * @return the batch
     * @throws ImageTooLargeException if a file is over the limits, or the batch is over the request's
     *     pixel limit or does not fit one array
     * @throws ImageFormatException if a file cannot be decoded, or the files differ in size
     */
    public static DecodedBatch decodeAll(List<byte[]> files, ImageLimits limits) {
        Objects.requireNonNull(files, "files");
        if (files.isEmpty()) {
            throw new ImageFormatException("no images: a BYTES image input needs at least one "
                    + limits.describeFormats() + " file");
        }
        ImageHeader first = null;
        for (int i = 0; i < files.size(); i++) {
            byte[] file = files.get(i);
            ImageHeader header = forImage(i, () -> readHeader(file, limits));
            if (first == null) {
                first = header;
            } else if (header.height() != first.height() || header.width() != first.width()) {
                throw new ImageFormatException("image[" + i + "] is " + header.size()
                        + " pixels (width x height) but image[0] is " + first.size()
                        + "; all images of one request must have the same size");
            }
        }
        limits.checkRequest(files.size(), first.height(), first.width());
        long plane = 3L * first.height() * first.width();
        if (plane * files.size() > Integer.MAX_VALUE - 8) {
            throw new ImageTooLargeException(files.size() + " images of " + first.size()
                    + " pixels are too many for one request; send fewer or smaller images");
        }
        float[] pixels = new float[(int) (plane * files.size())];
        for (int i = 0; i < files.size(); i++) {
            byte[] file = files.get(i);
            int offset = (int) (plane * i);
            forImage(i, () -> ImageIoReader.read(file, check(file, limits), reader -> {
                reader.decodeInto(reader.header(limits), pixels, offset);
                return null;
            }));
        }
        return new DecodedBatch(files.size(), first.height(), first.width(), pixels);
    }

    private static ImageFormat check(byte[] bytes, ImageLimits limits) {
        Objects.requireNonNull(limits, "limits");
        if (bytes == null || bytes.length == 0) {
            throw new ImageFormatException("the image is empty (0 bytes); expected a "
                    + limits.describeFormats() + " file");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new ImageTooLargeException("the image file has " + bytes.length + " bytes, more than the limit of "
                    + limits.maxBytes());
        }
        ImageFormat format = ImageFormat.detect(bytes).orElseThrow(() -> new ImageFormatException(
                "the image is " + ImageFormat.describeOther(bytes) + "; accepted formats are "
                        + limits.describeFormats()));
        if (!limits.allows(format)) {
            throw new ImageFormatException("the image is a " + format + " file; accepted formats are "
                    + limits.describeFormats());
        }
        return format;
    }

    private interface Step<T> {
        T run();
    }

    private static <T> T forImage(int index, Step<T> step) {
        try {
            return step.run();
        } catch (ImageTooLargeException e) {
            throw new ImageTooLargeException("image[" + index + "]: " + e.getMessage());
        } catch (ImageFormatException e) {
            throw new ImageFormatException("image[" + index + "]: " + e.getMessage());
        }
    }
}
