package dev.sinewich.serve.imaging;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Encodes PNG files with {@code javax.imageio}: 8-bit RGB, 8-bit grey and 16-bit grey. The files
 * carry no gamma or colour profile chunks, so {@link ImageDecoder} reads back exactly the samples
 * written. Stateless and thread-safe: each call uses its own {@code ImageWriter}.
 */
public final class PngWriter {

    private PngWriter() {}

    /**
     * Encodes an 8-bit RGB PNG.
     *
     * @param height h, at least 1
     * @param width w, at least 1
     * @param rgb planar (3, h, w) samples, read as unsigned bytes: the red plane, then green, then blue
     * @return the PNG file
     * @throws IllegalArgumentException if the sizes do not match
     */
    public static byte[] rgb8(int height, int width, byte[] rgb) {
        checkSize(height, width, rgb == null ? -1 : rgb.length, 3, true);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        int plane = height * width;
        for (int i = 0; i < plane; i++) {
            bgr[3 * i] = rgb[2 * plane + i];
            bgr[3 * i + 1] = rgb[plane + i];
            bgr[3 * i + 2] = rgb[i];
        }
        return encode(image);
    }

    /**
     * Encodes an 8-bit grey PNG.
     *
     * @param height h, at least 1
     * @param width w, at least 1
     * @param grey h · w samples, row-major, read as unsigned bytes
     * @return the PNG file
     * @throws IllegalArgumentException if the sizes do not match
     */
    public static byte[] grey8(int height, int width, byte[] grey) {
        checkSize(height, width, grey == null ? -1 : grey.length, 1, true);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        System.arraycopy(grey, 0, ((DataBufferByte) image.getRaster().getDataBuffer()).getData(), 0, grey.length);
        return encode(image);
    }

    /**
     * Encodes a 16-bit grey PNG of scaled values, such as depth in millimetres from depth in
     * metres with {@code scale} 1000. Each sample is {@code values[offset + i] · scale} (in double
     * precision) rounded half up, clamped to [0, 65535]; NaN becomes 0.
     *
     * @param height h, at least 1
     * @param width w, at least 1
     * @param values at least h · w values from {@code offset}, row-major
     * @param offset index of the first value, e.g. n · h · w for image n of a batch
     * @param scale the factor applied before rounding
     * @return the PNG file
     * @throws IllegalArgumentException if the sizes do not match
     */
    public static byte[] grey16(int height, int width, float[] values, int offset, double scale) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative, found " + offset);
        }
        checkSize(height, width, values == null ? -1 : values.length - (long) offset, 1, false);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_USHORT_GRAY);
        short[] samples = ((DataBufferUShort) image.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (short) toUnsigned16(values[offset + i] * scale);
        }
        return encode(image);
    }

    /**
     * Rounds a value half up and clamps it to an unsigned 16-bit sample.
     *
     * @param value the value
     * @return the sample in [0, 65535]; 0 for NaN
     */
    public static int toUnsigned16(double value) {
        if (Double.isNaN(value) || value <= 0) {
            return 0;
        }
        return value >= 65535 ? 65535 : (int) Math.floor(value + 0.5);
    }

    private static void checkSize(int height, int width, long available, int channels, boolean exact) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("PNG dimensions must be positive, found " + width + "x" + height);
        }
        long needed = (long) channels * height * width;
        if (available < needed || exact && available != needed) {
            throw new IllegalArgumentException("a " + width + "x" + height + " PNG with " + channels
                    + " channel(s) needs " + needed + " samples, found " + Math.max(available, 0));
        }
    }

    private static byte[] encode(BufferedImage image) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) {
            throw new IllegalStateException("this Java runtime has no javax.imageio PNG writer");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(image.getWidth() * image.getHeight() / 2 + 256);
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), writer.getDefaultWriteParam());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a PNG in memory", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
