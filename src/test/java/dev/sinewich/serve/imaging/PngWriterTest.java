package dev.sinewich.serve.imaging;

import static dev.sinewich.serve.imaging.TestImages.at;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** PNGs written here decode back through {@link ImageDecoder} to exactly the samples written. */
class PngWriterTest {

    private static final ImageLimits LIMITS = ImageLimits.defaults();

    @Test
    void rgb8RoundTrips() {
        int h = 6;
        int w = 5;
        byte[] planes = new byte[3 * h * w];
        new Random(1).nextBytes(planes);
        byte[] png = PngWriter.rgb8(h, w, planes);
        assertArrayEquals(new int[] {8, 2}, TestImages.pngDepthAndColourType(png));
        assertEquals(List.of("IHDR", "IDAT", "IEND"), TestImages.pngChunks(png), "no gamma or colour profile chunks");
        DecodedImage d = ImageDecoder.decode(png, LIMITS);
        for (int i = 0; i < planes.length; i++) {
            assertEquals((planes[i] & 0xff) / 255f, d.rgb()[i], "sample " + i);
        }
    }

    @Test
    void grey8RoundTrips() {
        byte[] grey = new byte[256];
        for (int i = 0; i < grey.length; i++) {
            grey[i] = (byte) i;
        }
        byte[] png = PngWriter.grey8(16, 16, grey);
        assertArrayEquals(new int[] {8, 0}, TestImages.pngDepthAndColourType(png));
        DecodedImage d = ImageDecoder.decode(png, LIMITS);
        for (int i = 0; i < grey.length; i++) {
            assertEquals(i / 255f, at(d, 0, i % 16, i / 16));
            assertEquals(i / 255f, at(d, 2, i % 16, i / 16));
        }
    }

    @Test
    void grey16RoundTripsEveryWholeValue() {
        float[] values = new float[256 * 256];
        for (int i = 0; i < values.length; i++) {
            values[i] = i;
        }
        byte[] png = PngWriter.grey16(256, 256, values, 0, 1);
        assertArrayEquals(new int[] {16, 0}, TestImages.pngDepthAndColourType(png));
        DecodedImage d = ImageDecoder.decode(png, LIMITS);
        for (int i = 0; i < values.length; i++) {
            if (d.rgb()[i] != i / 65535f) {
                assertEquals(i / 65535f, d.rgb()[i], "sample " + i);
            }
        }
    }

    @Test
    void grey16RoundsHalfUpAndClamps() {
        float[] values = {-1f, 0.5f, 1.5f, 2.5f, 2.49f, 70000f, Float.NaN, Float.POSITIVE_INFINITY, 65534.5f};
        int[] expected = {0, 1, 2, 3, 2, 65535, 0, 65535, 65535};
        DecodedImage d = ImageDecoder.decode(PngWriter.grey16(1, values.length, values, 0, 1), LIMITS);
        for (int i = 0; i < values.length; i++) {
            assertEquals(expected[i] / 65535f, d.rgb()[i], "value " + values[i]);
        }
    }

    @Test
    void grey16ScalesInDoublePrecisionFromAnOffset() {
        float[] metres = {9f, 9f, 0.25f, 1.2345f, 0.0005f, 66f};
        DecodedImage d = ImageDecoder.decode(PngWriter.grey16(2, 2, metres, 2, 1000), LIMITS);
        assertEquals(250 / 65535f, d.rgb()[0]);
        assertEquals(Math.round(1.2345f * 1000.0) / 65535f, d.rgb()[1]);
        assertEquals(1 / 65535f, d.rgb()[2], "0.0005 m is 0.5 mm, rounded up");
        assertEquals(1f, d.rgb()[3], "66 m is past the 16-bit range of 65.535 m");
    }

    @Test
    void sizesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> PngWriter.rgb8(2, 2, new byte[11]));
        assertThrows(IllegalArgumentException.class, () -> PngWriter.grey8(0, 2, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> PngWriter.grey16(2, 2, new float[5], 2, 1));
    }
}
