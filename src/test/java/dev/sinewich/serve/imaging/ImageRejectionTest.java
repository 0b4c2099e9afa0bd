package dev.sinewich.serve.imaging;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Every file the decoder cannot use fails with an {@link ImageFormatException} whose one-line
 * message says what was wrong; oversized ones with {@link ImageTooLargeException}, before any
 * pixel is allocated.
 */
class ImageRejectionTest {

    private static final ImageLimits LIMITS = ImageLimits.of(4096L * 4096L, 1 << 20);

    private static String rejected(byte[] bytes, ImageLimits limits) {
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> ImageDecoder.decode(bytes, limits));
        String message = e.getMessage();
        assertFalse(message.contains("\n") || message.contains("\tat "), () -> "one line, no stack trace: " + message);
        return message;
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "expected '" + part + "' in: " + message);
        }
    }

    private static byte[] noisyPng(int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(11);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return TestImages.encode(image, "png");
    }

    private static byte[] smallJpeg() {
        BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                image.setRGB(x, y, (x * 8) << 16 | (y * 8) << 8 | 0x40);
            }
        }
        return TestImages.jpeg(image, 0.9f);
    }

    @Test
    void decompressionBombIsRejectedFromItsHeader() {
        byte[] bomb = TestImages.handMadePng(50000, 50000, 1);
        assertTrue(bomb.length < 1000, "a tiny file: " + bomb.length + " bytes");
        long before = System.nanoTime();
        ImageTooLargeException e = assertThrows(ImageTooLargeException.class,
                () -> ImageDecoder.decode(bomb, ImageLimits.defaults()));
        assertTrue(System.nanoTime() - before < 1_000_000_000L, "rejected without decoding");
        assertMentions(e.getMessage(), "50000x50000", "2500000000", "16777216");
        assertThrows(ImageTooLargeException.class, () -> ImageDecoder.readHeader(bomb, ImageLimits.defaults()));
    }

    @Test
    void jpegBombIsRejectedFromItsHeader() {
        byte[] jpeg = smallJpeg();
        for (int i = 2; i + 8 < jpeg.length; i++) {
            if ((jpeg[i] & 0xff) == 0xff && (jpeg[i + 1] & 0xff) == 0xc0) {
                jpeg[i + 5] = (byte) 0xea;
                jpeg[i + 6] = (byte) 0x60;
                jpeg[i + 7] = (byte) 0xea;
                jpeg[i + 8] = (byte) 0x60;
                break;
            }
        }
        assertMentions(rejected(jpeg, LIMITS), "JPEG", "60000x60000");
    }

    @Test
    void headerOfAnEmptyImageIsRejected() {
        assertMentions(rejected(TestImages.handMadePng(0, 5, 1), LIMITS), "PNG", "width");
        assertMentions(rejected(TestImages.handMadePng(5, -3, 1), LIMITS), "PNG", "height");
    }

    @Test
    void tooManyBytesIsTooLarge() {
        byte[] png = noisyPng(64);
        ImageTooLargeException e = assertThrows(ImageTooLargeException.class,
                () -> ImageDecoder.decode(png, ImageLimits.of(1 << 20, 1000)));
        assertMentions(e.getMessage(), String.valueOf(png.length), "1000");
    }

    @Test
    void truncatedPngIsCorrupt() {
        byte[] png = noisyPng(32);
        assertMentions(rejected(Arrays.copyOf(png, png.length / 2), LIMITS), "truncated or corrupt PNG");
        assertMentions(rejected(Arrays.copyOf(png, 20), LIMITS), "truncated or corrupt PNG");
        assertMentions(rejected(Arrays.copyOf(png, png.length - 12), LIMITS), "PNG");
    }

    @Test
    void truncatedJpegIsCorrupt() {
        byte[] jpeg = smallJpeg();
        assertMentions(rejected(Arrays.copyOf(jpeg, jpeg.length / 2), LIMITS), "truncated or corrupt JPEG");
        assertMentions(rejected(Arrays.copyOf(jpeg, 100), LIMITS), "JPEG");
    }

    @Test
    void corruptPixelDataIsCorrupt() {
        byte[] png = TestImages.handMadePng(16, 16, 16);
        int idat = new String(png, StandardCharsets.ISO_8859_1).indexOf("IDAT");
        for (int i = idat + 4; i < idat + 12; i++) {
            png[i] = (byte) 0xa5;
        }
        assertMentions(rejected(png, LIMITS), "truncated or corrupt PNG");
    }

    @Test
    void otherFormatsAreNamed() {
        BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_3BYTE_BGR);
        assertMentions(rejected(TestImages.encode(image, "gif"), LIMITS), "GIF", "PNG or JPEG");
        assertMentions(rejected(TestImages.encode(image, "bmp"), LIMITS), "BMP", "PNG or JPEG");
        byte[] random = new byte[256];
        new Random(3).nextBytes(random);
        random[0] = 0x12;
        assertMentions(rejected(random, LIMITS), "not a PNG or JPEG file", "12 ", "PNG or JPEG");
        assertMentions(rejected(new byte[0], LIMITS), "empty");
        assertMentions(rejected(null, LIMITS), "empty");
        assertMentions(rejected(new byte[] {(byte) 0x89, 'P'}, LIMITS), "not a PNG or JPEG file");
    }

    @Test
    void cmykJpegIsRefusedByName() throws IOException {
        WritableRaster cmyk = Raster.createInterleavedRaster(
                DataBuffer.TYPE_BYTE, 8, 8, 4, null);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(cmyk, null, null), null);
        } finally {
            writer.dispose();
        }
        assertMentions(rejected(bytes.toByteArray(), LIMITS), "JPEG", "CMYK", "grey or RGB");
    }

    @Test
    void formatsCanBeRestricted() {
        ImageLimits pngOnly = new ImageLimits(1 << 20, 1 << 20, 1 << 20, EnumSet.of(ImageFormat.PNG));
        assertMentions(rejected(smallJpeg(), pngOnly), "JPEG", "accepted formats are PNG");
    }

    @Test
    void garbageAfterTheMagicBytesIsCorrupt() {
        Random random = new Random(5);
        byte[] png = new byte[300];
        random.nextBytes(png);
        System.arraycopy(noisyPng(4), 0, png, 0, 8);
        assertMentions(rejected(png, LIMITS), "truncated or corrupt PNG");
        byte[] jpeg = new byte[300];
        random.nextBytes(jpeg);
        jpeg[0] = (byte) 0xff;
        jpeg[1] = (byte) 0xd8;
        jpeg[2] = (byte) 0xff;
        assertMentions(rejected(jpeg, LIMITS), "JPEG");
    }

    /** Random damage to real files: whatever a plugin throws comes out as ImageFormatException. */
    @Test
    void damagedFilesOnlyEverFailWithImageFormatException() {
        Random random = new Random(17);
        for (byte[] original : new byte[][] {noisyPng(12), smallJpeg()}) {
            for (int trial = 0; trial < 150; trial++) {
                byte[] damaged = original.clone();
                int hits = 1 + random.nextInt(4);
                for (int h = 0; h < hits; h++) {
                    damaged[3 + random.nextInt(damaged.length - 3)] = (byte) random.nextInt(256);
                }
                if (random.nextInt(4) == 0) {
                    damaged = Arrays.copyOf(damaged, 3 + random.nextInt(damaged.length - 3));
                }
                try {
                    ImageDecoder.decode(damaged, LIMITS);
                } catch (ImageFormatException e) {
                    String message = e.getMessage();
                    assertFalse(message.contains("\n"), message);
                }
            }
        }
    }
}
