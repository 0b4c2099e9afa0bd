package dev.sinewich.serve.imaging;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * One use of a {@code javax.imageio} reader on an in-memory file, turning everything the plugin
 * throws (IOExceptions, and RuntimeExceptions on garbage) and every warning that is not about
 * ignoring something (such as libjpeg's "Premature end of JPEG file") into an
 * {@link ImageFormatException}; {@link PngChunks} checks the PNG chunk CRCs and the IEND chunk
 * that ImageIO skips. The stream is memory-cached, never a temporary file. Not thread-safe; each
 * decode makes its own.
 */
final class ImageIoReader {

    /** What to do with an open reader. */
    interface Task<T> {
        T run(ImageIoReader reader) throws IOException;
    }

    /** The longest Java array that every JVM can allocate. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final ImageReader reader;
    private final ImageFormat format;
    private final byte[] bytes;
    private final List<String> warnings = new ArrayList<>();

    private ImageIoReader(ImageReader reader, ImageFormat format, byte[] bytes) {
        this.reader = reader;
        this.format = format;
        this.bytes = bytes;
    }

    /**
     * Opens a reader on the bytes, runs the task and disposes of the reader.
     *
     * @param bytes the encoded file
     * @param format its format, from its magic bytes
     * @param task what to read
     * @param <T> the result type
     * @return the task's result
     * @throws ImageFormatException whatever went wrong, with a message for the caller
     */
    static <T> T read(byte[] bytes, ImageFormat format, Task<T> task) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
        if (!readers.hasNext()) {
            throw new IllegalStateException("this Java runtime has no javax.imageio reader for " + format);
        }
        ImageReader reader = readers.next();
        ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
        ImageIoReader session = new ImageIoReader(reader, format, bytes);
        reader.addIIOReadWarningListener((source, warning) -> session.warnings.add(warning));
        try {
            reader.setInput(in, true, true);
            return task.run(session);
        } catch (ImageFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageFormatException("truncated or corrupt " + format + ": " + describe(e));
        } finally {
            reader.dispose();
            try {
                in.close();
            } catch (IOException ignored) {
                // an in-memory stream has nothing to release
            }
        }
    }

    /**
     * Reads the declared size and checks it against the limits; decodes no pixel.
     *
     * @param limits the limits
     * @return the header
     * @throws IOException if the header cannot be read
     */
    ImageHeader header(ImageLimits limits) throws IOException {
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if (width < 1 || height < 1) {
            throw new ImageFormatException("the " + format + " header declares an empty image ("
                    + width + "x" + height + ")");
        }
        long pixels = (long) width * height;
        long limit = Math.min(limits.maxPixels(), MAX_ARRAY / 3);
        if (pixels > limit) {
            throw new ImageTooLargeException("the " + format + " header declares " + width + "x" + height + " pixels ("
                    + pixels + "), more than the limit of " + limit + " pixels per image; it was not decoded");
        }
        checkWarnings();
        return new ImageHeader(format, height, width);
    }

    /**
     * Decodes the pixels into {@code dst} from {@code offset} as planar RGB floats.
     *
     * @param header the header read by {@link #header}
     * @param dst the destination
     * @param offset where the red plane starts
     * @throws IOException if the pixels cannot be read
     */
    void decodeInto(ImageHeader header, float[] dst, int offset) throws IOException {
        if (format == ImageFormat.PNG) {
            PngChunks.verify(bytes);
        }
        ImageReadParam param = reader.getDefaultReadParam();
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        if (!types.hasNext()) {
            throw new ImageFormatException("unsupported " + format + ": its colour type cannot be decoded here "
                    + "(for example CMYK or YCCK JPEG); send grey or RGB");
        }
        ImageTypeSpecifier profiled = embeddedProfileType(types);
        if (profiled != null) {
            param.setDestination(profiled.createBufferedImage(header.width(), header.height()));
        }
        BufferedImage image = reader.read(0, param);
        checkWarnings();
        if (image.getWidth() != header.width() || image.getHeight() != header.height()) {
            throw new ImageFormatException("corrupt " + format + ": the header declares " + header.size()
                    + " pixels but " + image.getWidth() + "x" + image.getHeight() + " were decoded");
        }
        RasterConverter.toPlanarRgb(image, format, dst, offset);
    }

    /**
     * Finds the destination in an embedded ICC profile's RGB colour space, if the reader offers
     * one. The JPEG reader lists it next to sRGB and by default converts from the profile to sRGB
     * (colour management, which common decoders such as PIL's do not do);
     * decoding into an image in the profile's own space skips the conversion and keeps the
     * file's plain YCbCr-to-RGB values. Such a destination must be passed as an image: the reader
     * rejects it as a destination type. PNG readers offer only sRGB and grey.
     */
    private static ImageTypeSpecifier embeddedProfileType(Iterator<ImageTypeSpecifier> types) {
        while (types.hasNext()) {
            ImageTypeSpecifier type = types.next();
            ColorSpace space = type.getColorModel().getColorSpace();
            if (space.getType() == ColorSpace.TYPE_RGB && !space.isCS_sRGB()) {
                return type;
            }
        }
        return null;
    }

    private void checkWarnings() {
        for (String warning : warnings) {
            if (warning == null || !warning.toLowerCase(Locale.ROOT).contains("ignor")) {
                throw new ImageFormatException("truncated or corrupt " + format + ": " + clean(warning));
            }
        }
    }

    /** Says what went wrong in one line, from the exception and its causes, without a stack trace. */
    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder();
        int depth = 0;
        for (Throwable t = e; t != null && depth < 5; t = t.getCause(), depth++) {
            String part = t instanceof EOFException ? "unexpected end of file"
                    : t.getMessage() != null ? clean(t.getMessage())
                    : t instanceof IOException ? "" : "decoder failure (" + t.getClass().getSimpleName() + ")";
            if (!part.isEmpty() && text.indexOf(part) < 0) {
                text.append(text.length() == 0 ? "" : ": ").append(part);
            }
        }
        String all = text.length() == 0 ? "cannot be decoded" : text.toString();
        return all.length() > 300 ? all.substring(0, 300) + "..." : all;
    }

    private static String clean(String message) {
        if (message == null) {
            return "unknown problem";
        }
        String line = message.replaceAll("\\s+", " ").trim();
        while (line.endsWith("!") || line.endsWith(".")) {
            line = line.substring(0, line.length() - 1);
        }
        boolean word = line.length() > 1 && Character.isUpperCase(line.charAt(0))
                && Character.isLowerCase(line.charAt(1));
        return word ? Character.toLowerCase(line.charAt(0)) + line.substring(1) : line;
    }
}
