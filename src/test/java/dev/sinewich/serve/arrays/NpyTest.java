package dev.sinewich.serve.arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code .npy} reading and writing, against files NumPy wrote. */
class NpyTest {

    @Test
    void writtenFloatsReadBack() {
        float[] values = {1.5f, -2f, Float.NaN, 0f, 3.25f, 7f};
        byte[] file = Npy.write(new long[] {2, 3}, values, null);
        assertEquals(0, (file.length - 4 * values.length) % 64, "the data starts on a 64-byte boundary");
        NpyArray back = Npy.readFloats(file);
        assertArrayEquals(new long[] {2, 3}, back.shape());
        assertArrayEquals(values, back.values());
    }

    @Test
    void readsWhatNumpyWrote() throws Exception {
        // written by numpy.save in tools/evaluation/metrics_ref.py
        NpyArray normals = Npy.readFloats(Files.readAllBytes(
                Path.of("src/test/resources/evaluation/fixture/normals/a000.npy")));
        assertArrayEquals(new long[] {3, 6, 8}, normals.shape());
        float x = normals.values()[5];
        float y = normals.values()[48 + 5];
        float z = normals.values()[96 + 5];
        double norm = Math.sqrt(x * x + y * y + z * z);
        assertTrue(norm == 0 || Math.abs(norm - 1) < 1e-6, "a ground-truth normal is unit or zero: " + norm);
    }

    @Test
    void refusesOtherTypesOrderAndTruncation() {
        byte[] ints = Npy.write(new long[] {2}, null, new int[] {1, 2});
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Npy.readFloats(ints)).getMessage()
                .contains("'<i4'"));
        byte[] floats = Npy.write(new long[] {2}, new float[] {1, 2}, null);
        String text = new String(floats, StandardCharsets.ISO_8859_1).replace("False", "True ");
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Npy.readFloats(text.getBytes(StandardCharsets.ISO_8859_1))).getMessage().contains("C order"));
        byte[] truncated = java.util.Arrays.copyOf(floats, floats.length - 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Npy.readFloats(truncated)).getMessage()
                .contains("data bytes"));
        assertThrows(IllegalArgumentException.class, () -> Npy.readFloats("not numpy".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(IllegalArgumentException.class, () -> Npy.write(new long[] {3}, new float[] {1, 2}, null));
    }
}
