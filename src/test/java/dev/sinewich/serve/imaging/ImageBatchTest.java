package dev.sinewich.serve.imaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.model.ImageBatch;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The N files of one request become one (N, 3, h, w) batch, or fail naming the file at fault. */
class ImageBatchTest {

    private static final ImageLimits LIMITS = ImageLimits.defaults();

    private static byte[] rgb(int height, int width, int seed) {
        byte[] planes = new byte[3 * height * width];
        for (int i = 0; i < planes.length; i++) {
            planes[i] = (byte) (i * 7 + seed * 31);
        }
        return PngWriter.rgb8(height, width, planes);
    }

    @Test
    void filesAreLaidOutOneAfterAnother() {
        byte[] grey = PngWriter.grey16(3, 4, new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 65535}, 0, 1);
        List<byte[]> files = List.of(rgb(3, 4, 1), grey, rgb(3, 4, 2));
        DecodedBatch batch = ImageDecoder.decodeAll(files, LIMITS);
        assertEquals(3, batch.count());
        assertEquals(3, batch.height());
        assertEquals(4, batch.width());
        int image = 3 * 3 * 4;
        for (int n = 0; n < files.size(); n++) {
            float[] single = ImageDecoder.decode(files.get(n), LIMITS).rgb();
            float[] slice = Arrays.copyOfRange(batch.pixels(), n * image, (n + 1) * image);
            assertTrue(Arrays.equals(single, slice), "image " + n + " as decoded alone");
        }
        assertEquals(1f, batch.pixels()[image + 11]);
        assertEquals(1f, batch.pixels()[image + 2 * 12 + 11]);
        ImageBatch model = batch.toImageBatch();
        assertSame(batch.pixels(), model.pixels());
        assertEquals(3, model.count());
    }

    @Test
    void mixedSizesAreRejectedNamingBoth() {
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> ImageDecoder.decodeAll(List.of(rgb(3, 4, 1), rgb(3, 4, 2), rgb(5, 4, 3)), LIMITS));
        assertTrue(e.getMessage().contains("image[2] is 4x5"), e.getMessage());
        assertTrue(e.getMessage().contains("image[0] is 4x3"), e.getMessage());
    }

    @Test
    void failuresNameTheImage() {
        byte[] good = rgb(3, 4, 1);
        ImageFormatException corrupt = assertThrows(ImageFormatException.class,
                () -> ImageDecoder.decodeAll(List.of(good, Arrays.copyOf(good, good.length - 5)), LIMITS));
        assertTrue(corrupt.getMessage().startsWith("image[1]: truncated or corrupt PNG"), corrupt.getMessage());
        ImageTooLargeException large = assertThrows(ImageTooLargeException.class,
                () -> ImageDecoder.decodeAll(List.of(good, TestImages.handMadePng(50000, 50000, 1)), LIMITS));
        assertTrue(large.getMessage().startsWith("image[1]: the PNG header declares 50000x50000"), large.getMessage());
        ImageFormatException empty = assertThrows(ImageFormatException.class,
                () -> ImageDecoder.decodeAll(List.of(), LIMITS));
        assertTrue(empty.getMessage().contains("at least one"), empty.getMessage());
    }
}
