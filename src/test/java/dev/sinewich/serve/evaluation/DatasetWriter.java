package dev.sinewich.serve.evaluation;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinewich.serve.arrays.Npy;
import dev.sinewich.serve.imaging.PngWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes a small {@code sinewich-dataset/v1} directory for tests. Not thread-safe. */
final class DatasetWriter {

    private final Path dir;
    private final String name;
    private final List<String> tasks;
    private final List<String> labels;
    private final List<String> items = new ArrayList<>();

    DatasetWriter(Path dir, String name, List<String> tasks, List<String> labels) throws IOException {
        this.dir = dir;
        this.name = name;
        this.tasks = tasks;
        this.labels = labels;
        Files.createDirectories(dir.resolve("images"));
        for (String t : tasks) {
            Files.createDirectories(dir.resolve(t));
        }
    }

    /** Adds an item; ground truths of tasks the set does not have are ignored (may be null). */
    void item(String id, int h, int w, byte[] rgb, int[] semseg, float[] depth, float[] normals, byte[] saliency)
            throws IOException {
        items.add(id);
        Files.write(dir.resolve("images/" + id + ".png"), PngWriter.rgb8(h, w, rgb));
        if (tasks.contains("semseg")) {
            byte[] grey = new byte[semseg.length];
            for (int i = 0; i < grey.length; i++) {
                grey[i] = (byte) semseg[i];
            }
            Files.write(dir.resolve("semseg/" + id + ".png"), PngWriter.grey8(h, w, grey));
        }
        if (tasks.contains("depth")) {
            Files.write(dir.resolve("depth/" + id + ".npy"), Npy.write(new long[] {h, w}, depth, null));
        }
        if (tasks.contains("normals")) {
            Files.write(dir.resolve("normals/" + id + ".npy"), Npy.write(new long[] {3, h, w}, normals, null));
        }
        if (tasks.contains("saliency")) {
            Files.write(dir.resolve("saliency/" + id + ".png"), PngWriter.grey8(h, w, saliency));
        }
    }

    /** Writes {@code dataset.json} and returns the directory. */
    Path finish(int h, int w) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "sinewich-dataset/v1");
        m.put("name", name);
        m.put("source", "test");
        m.put("seed", null);
        m.put("height", h);
        m.put("width", w);
        m.put("tasks", tasks);
        m.put("labels", labels);
        m.put("ignore_label", 255);
        m.put("depth_unit", "m");
        m.put("normals_frame", "camera: x right, y up, z towards the camera");
        m.put("items", items);
        new ObjectMapper().writeValue(dir.resolve("dataset.json").toFile(), m);
        return dir;
    }
}
