package dev.sinewich.serve.imaging;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Real image files made in the test: ImageIO encodings and hand-built PNG chunks. */
final class TestImages {

    private TestImages() {}

    /** Encodes with ImageIO's writer for the format, failing the test if ImageIO will not. */
    static byte[] encode(BufferedImage image, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("ImageIO cannot write " + format + " for this image type");
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Encodes a JPEG at the given quality (0 to 1). */
    static byte[] jpeg(BufferedImage image, float quality) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** An image whose raster holds 16-bit samples: 1 band grey or 3 bands RGB, optionally + alpha. */
    static BufferedImage sixteenBit(int width, int height, boolean rgb, boolean alpha) {
        ColorSpace space = ColorSpace.getInstance(rgb ? ColorSpace.CS_sRGB : ColorSpace.CS_GRAY);
        int bands = (rgb ? 3 : 1) + (alpha ? 1 : 0);
        int[] bits = new int[bands];
        Arrays.fill(bits, 16);
        ComponentColorModel cm = new ComponentColorModel(space, bits, alpha, false,
                alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(width, height);
        return new BufferedImage(cm, raster, false, null);
    }

    /** Inserts an APP2 ICC_PROFILE segment (one chunk of one) right after a JPEG's SOI marker. */
    static byte[] withIccProfile(byte[] jpeg, byte[] profile) {
        byte[] tag = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
        int length = 2 + tag.length + 2 + profile.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xe2, (byte) (length >> 8), (byte) length});
        out.writeBytes(tag);
        out.writeBytes(new byte[] {1, 1});
        out.writeBytes(profile);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** Returns the (bit depth, colour type) of a PNG's IHDR. */
    static int[] pngDepthAndColourType(byte[] png) {
        return new int[] {png[24] & 0xff, png[25] & 0xff};
    }

    /** Lists a PNG's chunk types in order. */
    static List<String> pngChunks(byte[] png) {
        List<String> types = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(png);
        in.position(8);
        while (in.remaining() >= 12) {
            int length = in.getInt();
            byte[] type = new byte[4];
            in.get(type);
            types.add(new String(type, StandardCharsets.US_ASCII));
            in.position(in.position() + length + 4);
        }
        return types;
    }

    /**
     * Builds a PNG by hand: signature, IHDR with the given size, 8-bit RGB, one IDAT holding
     * {@code rows} rows of zeros (deflated, so a few bytes), and IEND, all with correct CRCs.
     */
    static byte[] handMadePng(int width, int height, int rows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13);
        ihdr.putInt(width).putInt(height).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[rows * (1 + 3 * Math.max(width, 1))]);
        deflater.finish();
        byte[] buffer = new byte[1 << 16];
        int n = deflater.deflate(buffer);
        deflater.end();
        chunk(out, "IDAT", Arrays.copyOf(buffer, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** Returns the decoded value of channel c at (x, y) of planar (3, h, w) floats. */
    static float at(DecodedImage image, int c, int x, int y) {
        return image.rgb()[(c * image.height() + y) * image.width() + x];
    }
}
