package dev.sinewich.serve.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The validated contents of a data set's {@code dataset.json} ({@code sinewich-dataset/v1}).
 * Immutable and thread-safe.
 *
 * @param name the data set's name
 * @param source where the data come from, or {@code null}
 * @param height the nominal image height
 * @param width the nominal image width
 * @param tasks the ground truths present, in the file's order
 * @param labels the segmentation class names (index = value), empty without {@code semseg}
 * @param ignoreLabel the segmentation value that marks pixels to ignore
 * @param depthUnit the unit of the depth files
 * @param items the item ids, in order
 */
public record DatasetManifest(String name, String source, int height, int width, List<DatasetTask> tasks,
        List<String> labels, int ignoreLabel, String depthUnit, List<String> items) {

    /** The {@code format} value this reader accepts. */
    public static final String FORMAT = "sinewich-dataset/v1";

    /** The manifest's file name inside a data set directory. */
    public static final String FILE = "dataset.json";

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

    /**
     * Copies the lists.
     */
    public DatasetManifest {
        tasks = List.copyOf(tasks);
        labels = List.copyOf(labels);
        items = List.copyOf(items);
    }

    /**
     * Parses and validates a manifest.
     *
     * @param json the file's bytes
     * @return the manifest
     * @throws DatasetException naming the key that is missing or wrong
     */
    public static DatasetManifest parse(byte[] json) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new DatasetException(FILE + ": not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new DatasetException(FILE + ": expected a JSON object");
        }
        String format = text(root, "format", true);
        if (!FORMAT.equals(format)) {
            throw new DatasetException(FILE + ": format must be '" + FORMAT + "', found '" + format + "'");
        }
        List<DatasetTask> tasks = new ArrayList<>();
        Set<DatasetTask> seen = EnumSet.noneOf(DatasetTask.class);
        for (String t : strings(root, "tasks")) {
            DatasetTask task = DatasetTask.fromJson(t);
            if (task == null || !seen.add(task)) {
                throw new DatasetException(FILE + ": tasks: '" + t + "' is unknown or repeated; known tasks are "
                        + "semseg, depth, normals and saliency");
            }
            tasks.add(task);
        }
        List<String> labels = root.has("labels") ? strings(root, "labels") : List.of();
        if (seen.contains(DatasetTask.SEMSEG) && labels.isEmpty()) {
            throw new DatasetException(FILE + ": labels must name the segmentation classes when tasks has semseg");
        }
        int ignore = root.has("ignore_label") ? integer(root, "ignore_label") : 255;
        if (ignore >= 0 && ignore < labels.size()) {
            throw new DatasetException(FILE + ": ignore_label " + ignore + " is a class index");
        }
        List<String> items = strings(root, "items");
        if (items.isEmpty()) {
            throw new DatasetException(FILE + ": items is empty");
        }
        Set<String> unique = new HashSet<>();
        for (String id : items) {
            if (!ID.matcher(id).matches() || !unique.add(id)) {
                throw new DatasetException(FILE + ": items: '" + id + "' is repeated or not a plain file name");
            }
        }
        int height = integer(root, "height");
        int width = integer(root, "width");
        if (height < 1 || width < 1) {
            throw new DatasetException(FILE + ": height and width must be positive, found " + height + "x" + width);
        }
        String unit = root.has("depth_unit") ? text(root, "depth_unit", true) : "m";
        return new DatasetManifest(text(root, "name", true), text(root, "source", false), height, width, tasks,
                labels, ignore, unit, items);
    }

    /**
     * Tells whether the data set has a ground truth.
     *
     * @param task the task
     * @return true when its folder is part of the set
     */
    public boolean has(DatasetTask task) {
        return tasks.contains(task);
    }

    private static String text(JsonNode root, String key, boolean required) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            if (required) {
                throw new DatasetException(FILE + ": " + key + " is missing");
            }
            return null;
        }
        if (!n.isTextual()) {
            throw new DatasetException(FILE + ": " + key + " must be a string, found " + n);
        }
        return n.asText();
    }

    private static int integer(JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new DatasetException(FILE + ": " + key + " must be an integer, found " + n);
        }
        return n.asInt();
    }

    private static List<String> strings(JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isArray()) {
            throw new DatasetException(FILE + ": " + key + " must be an array of strings, found " + n);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw new DatasetException(FILE + ": " + key + " must be an array of strings, found " + e);
            }
            out.add(e.asText());
        }
        return out;
    }
}
