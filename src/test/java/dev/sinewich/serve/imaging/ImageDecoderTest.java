package dev.sinewich.serve.imaging;

import static dev.sinewich.serve.imaging.TestImages.at;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Every PNG colour type and bit depth of SPEC §5 decodes to the exact v / (2^n − 1) of its
 * samples, alpha ignored; JPEG decodes close to its source, without colour management.
 */
class ImageDecoderTest {

    private static final ImageLimits LIMITS = ImageLimits.defaults();
    private static final int W = 7;
    private static final int H = 5;

    @Test
    void rgb8IsExact() {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_3BYTE_BGR);
        int[][][] v = fill(image.getRaster(), 3, 255, 1);
        byte[] png = TestImages.encode(image, "png");
        assertArrayEquals(new int[] {8, 2}, TestImages.pngDepthAndColourType(png));
        DecodedImage d = ImageDecoder.decode(png, LIMITS);
        assertEquals(ImageFormat.PNG, d.format());
        assertEquals(H, d.height());
        assertEquals(W, d.width());
        assertSamples(d, v, 255f);
    }

    @Test
    void grey8IsCopiedToAllThreeChannels() {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
        int[][][] v = fill(image.getRaster(), 1, 255, 2);
        byte[] png = TestImages.encode(image, "png");
        assertArrayEquals(new int[] {8, 0}, TestImages.pngDepthAndColourType(png));
        assertSamples(ImageDecoder.decode(png, LIMITS), v, 255f);
    }

    @Test
    void grey16IsReadAsValueOver65535() {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_USHORT_GRAY);
        int[][][] v = fill(image.getRaster(), 1, 65535, 3);
        byte[] png = TestImages.encode(image, "png");
        assertArrayEquals(new int[] {16, 0}, TestImages.pngDepthAndColourType(png));
        DecodedImage d = ImageDecoder.decode(png, LIMITS);
        assertSamples(d, v, 65535f);
        assertEquals(0f, at(d, 0, 0, 0));
        assertEquals(1f, at(d, 2, 1, 0));
        assertEquals(1f / 65535f, at(d, 1, 2, 0));
    }

    @Test
    void rgb16IsReadAsValueOver65535() {
        BufferedImage image = TestImages.sixteenBit(W, H, true, false);
        int[][][] v = fill(image.getRaster(), 3, 65535, 4);
        byte[] png = TestImages.encode(image, "png");
        assertArrayEquals(new int[] {16, 2}, TestImages.pngDepthAndColourType(png));
        assertSamples(ImageDecoder.decode(png, LIMITS), v, 65535f);
    }

    @Test
    void rgba16AlphaIsDropped() {
        BufferedImage image = TestImages.sixteenBit(W, H, true, true);
        int[][][] v = fill(image.getRaster(), 4, 65535, 5);
        byte[] png = TestImages.encode(image, "png");
        assertArrayEquals(new int[] {16, 6}, TestImages.pngDepthAndColourType(png));
        assertSamples(ImageDecoder.decode(png, LIMITS), v, 65535f);
    }

    @Test
    void rgba8AlphaIsDroppedNotComposited() {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_4BYTE_ABGR);
        int[][][] v = fill(image.getRaster(), 4, 255, 6);
        image.getRaster().setSample(0, 0, 3, 0);
        v[3][0][0] = 0;
        image.getRaster().setSample(1, 0, 3, 255);
        byte[] png = TestImages.encode(image, "png");
        assertArrayEquals(new int[] {8, 6}, TestImages.pngDepthAndColourType(png));
        assertSamples(ImageDecoder.decode(png, LIMITS), v, 255f);
    }

    @Test
    void greyAlpha8AlphaIsDropped() {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        BufferedImage image = new BufferedImage(cm, cm.createCompatibleWritableRaster(W, H), false, null);
        int[][][] v = fill(image.getRaster(), 2, 255, 7);
        byte[] png = TestImages.encode(image, "png");
        assertArrayEquals(new int[] {8, 4}, TestImages.pngDepthAndColourType(png));
        assertSamples(ImageDecoder.decode(png, LIMITS), v, 255f);
    }

    @Test
    void paletteIsMappedThroughThePaletteAndItsAlphaIgnored() {
        byte[] r = {0, (byte) 255, 10, (byte) 200};
        byte[] g = {0, 0, 20, (byte) 201};
        byte[] b = {0, 0, 30, (byte) 202};
        byte[] a = {(byte) 255, 0, (byte) 128, (byte) 255};
        IndexColorModel cm = new IndexColorModel(2, 4, r, g, b, a);
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_BINARY, cm);
        Random random = new Random(8);
        int[][] index = new int[H][W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                index[y][x] = random.nextInt(4);
                image.getRaster().setSample(x, y, 0, index[y][x]);
            }
        }
        byte[] png = TestImages.encode(image, "png");
        assertEquals(3, TestImages.pngDepthAndColourType(png)[1], "a palette PNG");
        assertTrue(TestImages.pngChunks(png).contains("tRNS"), "with palette alpha");
        DecodedImage d = ImageDecoder.decode(png, LIMITS);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int i = index[y][x];
                assertEquals((r[i] & 0xff) / 255f, at(d, 0, x, y));
                assertEquals((g[i] & 0xff) / 255f, at(d, 1, x, y));
                assertEquals((b[i] & 0xff) / 255f, at(d, 2, x, y));
            }
        }
    }

    @Test
    void jpegDecodesCloseToItsSource() {
        BufferedImage image = smooth(32, 24, BufferedImage.TYPE_3BYTE_BGR);
        byte[] jpeg = TestImages.jpeg(image, 0.95f);
        DecodedImage d = ImageDecoder.decode(jpeg, LIMITS);
        assertEquals(ImageFormat.JPEG, d.format());
        assertClose(image, d, 3, 12 / 255f, 3 / 255f);
    }

    @Test
    void greyJpegDecodesToEqualChannels() {
        BufferedImage image = smooth(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        DecodedImage d = ImageDecoder.decode(TestImages.jpeg(image, 0.95f), LIMITS);
        assertClose(image, d, 1, 8 / 255f, 2 / 255f);
    }

    @Test
    void jpegWithAnEmbeddedProfileIsNotColourManaged() throws IOException {
        BufferedImage image = smooth(16, 16, BufferedImage.TYPE_3BYTE_BGR);
        ICC_ColorSpace linear = (ICC_ColorSpace) ColorSpace.getInstance(ColorSpace.CS_LINEAR_RGB);
        byte[] jpeg = TestImages.withIccProfile(TestImages.jpeg(image, 0.95f), linear.getProfile().getData());
        BufferedImage managed = ImageIO.read(new ByteArrayInputStream(jpeg));
        int source = image.getRaster().getSample(8, 8, 1);
        float managedError = Math.abs(managed.getRaster().getSample(8, 8, 1) - source) / 255f;
        assertTrue(managedError > 0.1f, "ImageIO.read converts the embedded profile to sRGB: " + managedError);
        assertClose(image, ImageDecoder.decode(jpeg, LIMITS), 3, 12 / 255f, 3 / 255f);
    }

    @Test
    void headerIsReadWithoutDecoding() {
        ImageHeader header = ImageDecoder.readHeader(TestImages.encode(new BufferedImage(9, 4,
                BufferedImage.TYPE_BYTE_GRAY), "png"), LIMITS);
        assertEquals(new ImageHeader(ImageFormat.PNG, 4, 9), header);
        assertEquals("9x4", header.size());
    }

    /** Fills every band with seeded random samples below max + 1, corners pinned to 0 and max. */
    static int[][][] fill(WritableRaster raster, int bands, int max, long seed) {
        Random random = new Random(seed);
        int[][][] v = new int[bands][H][W];
        for (int c = 0; c < bands; c++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    int pinned = y > 0 || x > 2 ? -1 : x == 0 ? 0 : x == 1 ? max : 1;
                    v[c][y][x] = pinned >= 0 ? pinned : random.nextInt(max + 1);
                    raster.setSample(x, y, c, v[c][y][x]);
                }
            }
        }
        return v;
    }

    /** Checks decoded colour planes equal v / max exactly; one source band means grey. */
    static void assertSamples(DecodedImage d, int[][][] v, float max) {
        int colours = v.length >= 3 ? 3 : 1;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    float expected = v[colours == 1 ? 0 : c][y][x] / max;
                    assertEquals(expected, at(d, c, x, y), "channel " + c + " at (" + x + ", " + y + ")");
                }
            }
        }
    }

    private static BufferedImage smooth(int width, int height, int type) {
        BufferedImage image = new BufferedImage(width, height, type);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int r = 40 + 6 * x;
                int g = 60 + 7 * y;
                int b = 200 - 3 * x - 2 * y;
                image.getRaster().setPixel(x, y, type == BufferedImage.TYPE_BYTE_GRAY ? new int[] {(r + g) / 2}
                        : new int[] {r, g, b});
            }
        }
        return image;
    }

    private static void assertClose(BufferedImage source, DecodedImage d, int bands, float maxError, float meanError) {
        double sum = 0;
        float worst = 0;
        int n = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < source.getHeight(); y++) {
                for (int x = 0; x < source.getWidth(); x++) {
                    float expected = source.getRaster().getSample(x, y, bands == 1 ? 0 : c) / 255f;
                    float error = Math.abs(expected - at(d, c, x, y));
                    worst = Math.max(worst, error);
                    sum += error;
                    n++;
                }
            }
        }
        assertTrue(worst <= maxError, "largest error " + worst * 255 + "/255");
        assertTrue(sum / n <= meanError, "mean error " + sum / n * 255 + "/255");
    }
}
