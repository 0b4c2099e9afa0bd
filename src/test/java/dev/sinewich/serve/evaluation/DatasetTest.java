package dev.sinewich.serve.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.arrays.Npy;
import dev.sinewich.serve.imaging.PngWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading {@code sinewich-dataset/v1} directories, and the messages for broken ones. */
class DatasetTest {

    @TempDir
    Path temp;

    @Test
    void readsEveryGroundTruthInDataSetUnits() throws IOException {
        DatasetWriter w = new DatasetWriter(temp, "d", List.of("semseg", "depth"), List.of("a", "b"));
        w.item("x", 1, 3, new byte[] {(byte) 255, 0, 0, 0, (byte) 255, 0, 0, 0, (byte) 255}, new int[] {0, 1, 255},
                new float[] {1, 0, Float.NaN}, null, null);
        Path dir = w.finish(1, 3);
        String json = Files.readString(dir.resolve("dataset.json")).replace("\"depth_unit\":\"m\"", "\"depth_unit\":\"mm\"");
        Files.writeString(dir.resolve("dataset.json"), json);
        DatasetItem item = Dataset.open(dir).read(0);
        assertArrayEquals(new int[] {0, 1, 255}, item.semseg());
        assertEquals(0.001f, item.depth()[0], 1e-9f, "millimetres become metres");
        assertEquals(1f, item.rgb()[0]);
        assertEquals(1f, item.rgb()[4]);
        assertNull(item.normals());
    }

    @Test
    void brokenDataSetsAreRefusedWithTheFileNamed() throws IOException {
        DatasetWriter w = new DatasetWriter(temp, "d", List.of("semseg", "depth"), List.of("a", "b"));
        w.item("x", 2, 2, new byte[12], new int[] {0, 1, 2, 255}, new float[4], null, null);
        Path dir = w.finish(2, 2);
        DatasetException label = assertThrows(DatasetException.class, () -> Dataset.open(dir).read(0));
        assertTrue(label.getMessage().startsWith("semseg/x.png: pixel 2 holds 2.0"), label.getMessage());

        Files.write(dir.resolve("semseg/x.png"), PngWriter.grey8(2, 2, new byte[4]));
        Files.write(dir.resolve("depth/x.npy"), Npy.write(new long[] {2, 3}, new float[6], null));
        DatasetException shape = assertThrows(DatasetException.class, () -> Dataset.open(dir).read(0));
        assertTrue(shape.getMessage().startsWith("depth/x.npy: expected shape [2, 2]"), shape.getMessage());

        Files.delete(dir.resolve("depth/x.npy"));
        assertTrue(assertThrows(DatasetException.class, () -> Dataset.open(dir).read(0)).getMessage()
                .startsWith("depth/x.npy: cannot be read"));

        Files.writeString(dir.resolve("dataset.json"), Files.readString(dir.resolve("dataset.json"))
                .replace("sinewich-dataset/v1", "other/v2"), StandardCharsets.UTF_8);
        assertTrue(assertThrows(DatasetException.class, () -> Dataset.open(dir)).getMessage()
                .contains("format must be 'sinewich-dataset/v1'"));
    }

    @Test
    void manifestRulesAreChecked() {
        String base = "{\"format\":\"sinewich-dataset/v1\",\"name\":\"n\",\"height\":2,\"width\":2,";
        assertTrue(assertThrows(DatasetException.class, () -> parse(base + "\"tasks\":[\"semseg\"],\"items\":[\"a\"]}"))
                .getMessage().contains("labels must name"));
        assertTrue(assertThrows(DatasetException.class, () -> parse(base + "\"tasks\":[\"edges\"],\"items\":[\"a\"]}"))
                .getMessage().contains("'edges' is unknown"));
        assertTrue(assertThrows(DatasetException.class, () -> parse(base + "\"tasks\":[],\"items\":[\"../a\"]}"))
                .getMessage().contains("not a plain file name"));
        DatasetManifest m = parse(base + "\"tasks\":[\"depth\"],\"items\":[\"a\",\"b\"]}");
        assertEquals(255, m.ignoreLabel());
        assertEquals("m", m.depthUnit());
        assertEquals(List.of(DatasetTask.DEPTH), m.tasks());
    }

    private static DatasetManifest parse(String json) {
        return DatasetManifest.parse(json.getBytes(StandardCharsets.UTF_8));
    }
}
