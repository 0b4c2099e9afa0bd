package dev.sinewich.serve.bundle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and strictly validates {@code sinewich.json} (SPEC §2). Every error names the key path,
 * the expected and the found value. Stateless and thread-safe.
 */
public final class ConfigParser {

    /** The file name inside a bundle. */
    public static final String FILE = "sinewich.json";

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ConfigParser() {}

    /**
     * Parses and validates a configuration.
     *
     * @param json the UTF-8 bytes of {@code sinewich.json}
     * @return the validated configuration
     * @throws BundleException naming the first problem found
     */
    public static SinewichConfig parse(byte[] json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw fail("", "valid JSON", e.getOriginalMessage());
        } catch (IOException e) {
            throw new BundleException(FILE + ": cannot be read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw fail("", "a JSON object", root == null ? "nothing" : root.getNodeType().toString());
        }
        ConfigObject top = new ConfigObject(root, "");
        top.allow("format", "name", "version", "input", "backbone", "lora", "awb", "decoder", "tasks");
        String format = top.string("format");
        if (!SinewichConfig.FORMAT.equals(format)) {
            throw fail("format", '"' + SinewichConfig.FORMAT + '"', '"' + format + '"');
        }
        String name = name(top, "name");
        String version = top.string("version");
        SinewichConfig.Backbone backbone = backbone(top.object("backbone"));
        int stages = backbone.depths().size();
        SinewichConfig.Input input = input(top.object("input"), backbone.patchSize() << (stages - 1));
        SinewichConfig.Lora lora = top.isNullOrAbsent("lora") ? null : lora(top.object("lora"));
        SinewichConfig.Awb awb = awb(top.object("awb"));
        SinewichConfig.Decoder decoder = decoder(top.object("decoder"), stages);
        List<SinewichConfig.Task> tasks = tasks(top.array("tasks"));
        return new SinewichConfig(format, name, version, input, backbone, lora, awb, decoder, tasks);
    }

    private static SinewichConfig.Input input(ConfigObject o, int multiple) {
        o.allow("height", "width", "mean", "std");
        int height = o.positiveInt("height");
        int width = o.positiveInt("width");
        if (height % multiple != 0) {
            throw fail(o.path("height"), "a multiple of patch_size·2^(S−1) = " + multiple, height);
        }
        if (width % multiple != 0) {
            throw fail(o.path("width"), "a multiple of patch_size·2^(S−1) = " + multiple, width);
        }
        List<Float> mean = o.floats("mean", 3);
        List<Float> std = o.floats("std", 3);
        for (float s : std) {
            if (!(s > 0)) {
                throw fail(o.path("std"), "three numbers > 0", std);
            }
        }
        return new SinewichConfig.Input(height, width, mean, std);
    }

    private static SinewichConfig.Backbone backbone(ConfigObject o) {
        o.allow("type", "patch_size", "embed_dim", "depths", "num_heads", "window_size", "mlp_ratio");
        String type = o.string("type");
        if (!"swin".equals(type)) {
            throw fail(o.path("type"), "\"swin\"", '"' + type + '"');
        }
        int patch = o.positiveInt("patch_size");
        int embed = o.positiveInt("embed_dim");
        List<Integer> depths = o.positiveInts("depths");
        if (depths.isEmpty() || depths.size() > 4) {
            throw fail(o.path("depths"), "1 to 4 stages", depths.size());
        }
        if (depths.stream().mapToInt(Integer::intValue).sum() < 2) {
            throw fail(o.path("depths"), "a total depth of at least 2", depths);
        }
        List<Integer> heads = o.positiveInts("num_heads");
        if (heads.size() != depths.size()) {
            throw fail(o.path("num_heads"), depths.size() + " entries (one per stage)", heads.size());
        }
        for (int s = 0; s < heads.size(); s++) {
            int channels = embed << s;
            if (channels % heads.get(s) != 0) {
                throw fail(o.path("num_heads") + "[" + s + "]",
                        "a divisor of the stage's " + channels + " channels", heads.get(s));
            }
        }
        int window = o.positiveInt("window_size");
        double ratio = o.number("mlp_ratio");
        if (!(ratio > 0) || Math.floor(embed * ratio) < 1) {
            throw fail(o.path("mlp_ratio"), "a number > 0 giving at least one hidden unit", ratio);
        }
        return new SinewichConfig.Backbone(patch, embed, depths, heads, window, ratio);
    }

    private static SinewichConfig.Lora lora(ConfigObject o) {
        o.allow("rank", "alpha", "targets");
        int rank = o.positiveInt("rank");
        double alpha = o.number("alpha");
        return new SinewichConfig.Lora(rank, alpha, targets(o));
    }

    private static SinewichConfig.Awb awb(ConfigObject o) {
        o.allow("rank", "targets", "gain", "lowpass");
        int rank = o.positiveInt("rank");
        Set<LinearTarget> targets = targets(o);
        double gain = o.number("gain");
        SinewichConfig.Lowpass lowpass = null;
        if (!o.isNullOrAbsent("lowpass")) {
            ConfigObject lp = o.object("lowpass");
            lp.allow("size", "sigma");
            int size = lp.positiveInt("size");
            if (size % 2 == 0) {
                throw fail(lp.path("size"), "an odd integer", size);
            }
            double sigma = lp.number("sigma");
            if (!(sigma > 0)) {
                throw fail(lp.path("sigma"), "a number > 0", sigma);
            }
            lowpass = new SinewichConfig.Lowpass(size, sigma);
        }
        return new SinewichConfig.Awb(rank, targets, gain, lowpass);
    }

    private static Set<LinearTarget> targets(ConfigObject o) {
        Set<LinearTarget> targets = EnumSet.noneOf(LinearTarget.class);
        for (String t : o.strings("targets")) {
            LinearTarget target = LinearTarget.fromJson(t);
            if (target == null) {
                throw fail(o.path("targets"), "names from qkv, proj, fc1, fc2", '"' + t + '"');
            }
            if (!targets.add(target)) {
                throw fail(o.path("targets"), "each target once", '"' + t + "\" twice");
            }
        }
        return Collections.unmodifiableSet(targets);
    }

    private static SinewichConfig.Decoder decoder(ConfigObject o, int stages) {
        o.allow("channels", "hidden");
        List<Integer> channels = o.positiveInts("channels");
        if (channels.size() != stages) {
            throw fail(o.path("channels"), stages + " entries (one per stage)", channels.size());
        }
        return new SinewichConfig.Decoder(channels, o.positiveInt("hidden"));
    }

    private static List<SinewichConfig.Task> tasks(List<ConfigObject> items) {
        if (items.isEmpty()) {
            throw fail("tasks", "at least one task", "an empty list");
        }
        List<SinewichConfig.Task> tasks = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ConfigObject o : items) {
            SinewichConfig.Task task = task(o);
            if (!names.add(task.name())) {
                throw fail(o.path("name"), "a unique task name", '"' + task.name() + "\" again");
            }
            tasks.add(task);
        }
        return List.copyOf(tasks);
    }

    /**
     * Parses one task entry, as written in {@code sinewich.json}'s {@code tasks}, from another file.
     *
     * @param json the entry's JSON text
     * @param where how errors name its location, e.g. {@code depth2.safetensors: __metadata__.task}
     * @return the task
     * @throws BundleException naming the problem
     */
    public static SinewichConfig.Task parseTask(String json, String where) {
        try {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || !node.isObject()) {
                throw new BundleException(where + ": expected a JSON object, found " + node);
            }
            return task(new ConfigObject(node, ""));
        } catch (JsonProcessingException e) {
            throw new BundleException(where + ": expected a JSON task entry, found invalid JSON: "
                    + e.getOriginalMessage());
        } catch (BundleException e) {
            String message = e.getMessage();
            if (message.startsWith(FILE + ": ")) {
                message = message.substring(FILE.length() + 2);
            }
            throw new BundleException(where + ": " + message, e);
        }
    }

    private static SinewichConfig.Task task(ConfigObject o) {
        o.allow("name", "kind", "outputs", "labels", "unit");
        String name = name(o, "name");
        String kindName = o.string("kind");
        TaskKind kind = TaskKind.fromJson(kindName);
        if (kind == null) {
            throw fail(o.path("kind"), "one of segmentation, depth, normals, saliency, edges", '"' + kindName + '"');
        }
        int outputs = o.positiveInt("outputs");
        int fixed = kind.fixedOutputs();
        if (fixed > 0 && outputs != fixed) {
            throw fail(o.path("outputs"), fixed + " for kind " + kindName, outputs);
        }
        if (fixed < 0 && outputs < 2) {
            throw fail(o.path("outputs"), "at least 2 for kind " + kindName, outputs);
        }
        List<String> labels = List.of();
        if (o.has("labels")) {
            if (kind != TaskKind.SEGMENTATION) {
                throw fail(o.path("labels"), "no labels for kind " + kindName, "labels");
            }
            labels = o.strings("labels");
            if (labels.size() != outputs) {
                throw fail(o.path("labels"), outputs + " labels (= outputs)", labels.size());
            }
        }
        String unit = null;
        if (o.has("unit")) {
            if (kind != TaskKind.DEPTH) {
                throw fail(o.path("unit"), "no unit for kind " + kindName, "unit");
            }
            unit = o.string("unit");
        } else if (kind == TaskKind.DEPTH) {
            unit = "m";
        }
        return new SinewichConfig.Task(name, kind, outputs, labels, unit);
    }

    private static String name(ConfigObject o, String key) {
        String value = o.string(key);
        if (!NAME.matcher(value).matches()) {
            throw fail(o.path(key), "a name matching [a-z0-9][a-z0-9._-]{0,62}", '"' + value + '"');
        }
        return value;
    }

    static BundleException fail(String path, String expected, Object found) {
        String where = path.isEmpty() ? FILE : FILE + ": " + path;
        return new BundleException(where + ": expected " + expected + ", found " + found);
    }
}
