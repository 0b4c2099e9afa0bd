package dev.sinewich.serve.bundle;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The tensor names and shapes a configuration requires (SPEC §3). Names are built from the
 * configuration, task names used verbatim, so a dotted task name never needs to be split.
 * Stateless and thread-safe.
 */
public final class TensorCatalog {

    private TensorCatalog() {}

    /**
     * Returns the name prefix of block j of stage s, e.g. {@code backbone.features.1.0.}.
     *
     * @param stage the 0-based stage
     * @param block the 0-based block in the stage
     * @return the prefix, ending with a dot
     */
    public static String blockPrefix(int stage, int block) {
        return "backbone.features." + (2 * stage + 1) + "." + block + ".";
    }

    /**
     * Returns the name prefix of the patch merging after stage s.
     *
     * @param stage the 0-based stage, less than S − 1
     * @return the prefix, ending with a dot
     */
    public static String mergePrefix(int stage) {
        return "backbone.features." + (2 * stage + 2) + ".";
    }

    /**
     * Returns the name of a task's explicit frequencies tensor.
     *
     * @param task the task name
     * @return {@code tasks.{t}.omega}
     */
    public static String omegaName(String task) {
        return "tasks." + task + ".omega";
    }

    /**
     * Returns the name of the optional relative position index buffer of a block.
     *
     * @param stage the 0-based stage
     * @param block the 0-based block
     * @return the buffer name
     */
    public static String positionIndexName(int stage, int block) {
        return blockPrefix(stage, block) + "attn.relative_position_index";
    }

    /**
     * Returns (out, in) of a block linear.
     *
     * @param config the configuration
     * @param stage the stage
     * @param target the linear
     * @return {out, in}
     */
    public static long[] linearShape(SinewichConfig config, int stage, LinearTarget target) {
        long c = config.backbone().channels(stage);
        long hidden = config.backbone().mlpHidden(stage);
        switch (target) {
            case QKV:
                return new long[] {3 * c, c};
            case PROJ:
                return new long[] {c, c};
            case FC1:
                return new long[] {hidden, c};
            default:
                return new long[] {c, hidden};
        }
    }

    /**
     * Lists every required float tensor with its shape, in a stable order.
     *
     * @param config the configuration
     * @param omegaTasks the tasks whose explicit {@code omega} is in the file
     * @return the expected names and shapes
     */
    public static Map<String, long[]> required(SinewichConfig config, Set<String> omegaTasks) {
        Map<String, long[]> m = new LinkedHashMap<>();
        SinewichConfig.Backbone bb = config.backbone();
        int stages = config.stages();
        long c0 = bb.embedDim();
        long p = bb.patchSize();
        m.put("backbone.features.0.0.weight", new long[] {c0, 3, p, p});
        m.put("backbone.features.0.0.bias", new long[] {c0});
        m.put("backbone.features.0.2.weight", new long[] {c0});
        m.put("backbone.features.0.2.bias", new long[] {c0});
        long w = bb.windowSize();
        for (int s = 0; s < stages; s++) {
            long c = bb.channels(s);
            int depth = bb.depths().get(s);
            for (int j = 0; j < depth; j++) {
                String b = blockPrefix(s, j);
                m.put(b + "norm1.weight", new long[] {c});
                m.put(b + "norm1.bias", new long[] {c});
                for (LinearTarget t : LinearTarget.values()) {
                    long[] shape = linearShape(config, s, t);
                    m.put(b + t.path() + ".weight", shape);
                    m.put(b + t.path() + ".bias", new long[] {shape[0]});
                }
                m.put(b + "attn.relative_position_bias_table",
                        new long[] {(2 * w - 1) * (2 * w - 1), bb.numHeads().get(s)});
                m.put(b + "norm2.weight", new long[] {c});
                m.put(b + "norm2.bias", new long[] {c});
                if (config.lora() != null) {
                    long r = config.lora().rank();
                    for (LinearTarget t : config.lora().targets()) {
                        long[] shape = linearShape(config, s, t);
                        m.put(b + t.path() + ".lora_A", new long[] {r, shape[1]});
                        m.put(b + t.path() + ".lora_B", new long[] {shape[0], r});
                    }
                }
                if (j == depth - 1) {
                    long r = config.awb().rank();
                    for (LinearTarget t : config.awb().targets()) {
                        long[] shape = linearShape(config, s, t);
                        m.put(b + t.path() + ".awb_A", new long[] {r, shape[1]});
                        m.put(b + t.path() + ".awb_W", new long[] {r, r});
                        m.put(b + t.path() + ".awb_B", new long[] {shape[0], r});
                    }
                }
            }
            if (s < stages - 1) {
                String mp = mergePrefix(s);
                m.put(mp + "norm.weight", new long[] {4 * c});
                m.put(mp + "norm.bias", new long[] {4 * c});
                m.put(mp + "reduction.weight", new long[] {2 * c, 4 * c});
            }
        }
        boolean clock = config.tasks().stream().anyMatch(t -> !omegaTasks.contains(t.name()));
        if (clock) {
            for (int s = 0; s < stages; s++) {
                m.put("clock." + s + ".weight", new long[] {1, bb.channels(s)});
                m.put("clock." + s + ".scale", new long[] {1});
                m.put("clock." + s + ".shift", new long[] {1});
            }
        }
        SinewichConfig.Decoder dec = config.decoder();
        for (int s = 0; s < stages; s++) {
            m.put("decoder.down." + s + ".weight", new long[] {dec.channels().get(s), bb.channels(s), 1, 1});
        }
        long hidden = dec.hidden();
        m.put("decoder.fuse.weight", new long[] {hidden, dec.totalChannels(), 1, 1});
        for (SinewichConfig.Task task : config.tasks()) {
            m.putAll(taskTensors(config, task, omegaTasks.contains(task.name())));
        }
        return m;
    }

    /**
     * Lists the tensors one task adds: its frequencies (explicit ω, or one Clock Net token per
     * stage) and its head.
     *
     * @param config the model configuration
     * @param task the task
     * @param explicitOmega whether the task gives {@code tasks.{t}.omega}
     * @return the expected names and shapes
     */
    public static Map<String, long[]> taskTensors(SinewichConfig config, SinewichConfig.Task task,
            boolean explicitOmega) {
        Map<String, long[]> m = new LinkedHashMap<>();
        String t = task.name();
        int stages = config.stages();
        if (explicitOmega) {
            m.put(omegaName(t), new long[] {stages});
        } else {
            for (int s = 0; s < stages; s++) {
                m.put("tasks." + t + ".token." + s, new long[] {config.backbone().channels(s)});
            }
        }
        long hidden = config.decoder().hidden();
        String h = "heads." + t + ".";
        m.put(h + "fuse_bias", new long[] {hidden});
        m.put(h + "bn.weight", new long[] {hidden});
        m.put(h + "bn.bias", new long[] {hidden});
        m.put(h + "bn.running_mean", new long[] {hidden});
        m.put(h + "bn.running_var", new long[] {hidden});
        m.put(h + "out.weight", new long[] {task.outputs(), hidden, 1, 1});
        m.put(h + "out.bias", new long[] {task.outputs()});
        return m;
    }

    /**
     * Checks that a file holds every required tensor with its exact shape and a float type.
     *
     * @param file the file
     * @param fileName how messages name it
     * @param required the expected names and shapes
     * @throws BundleException naming the first missing or mis-shaped tensor
     */
    public static void checkRequired(SafetensorsFile file, String fileName, Map<String, long[]> required) {
        Map<String, SafetensorsFile.TensorInfo> found = file.tensors();
        for (Map.Entry<String, long[]> e : required.entrySet()) {
            SafetensorsFile.TensorInfo info = found.get(e.getKey());
            String expected = SafetensorsFile.TensorInfo.shapeText(e.getValue());
            if (info == null) {
                throw new BundleException(fileName + ": tensor " + e.getKey() + " is missing (expected shape "
                        + expected + ")");
            }
            if (!java.util.Arrays.equals(info.shape(), e.getValue())) {
                throw new BundleException(fileName + ": tensor " + e.getKey() + ": expected shape " + expected
                        + ", found " + info.shapeText());
            }
            if (!info.dtype().isFloat()) {
                throw new BundleException(fileName + ": tensor " + e.getKey() + ": expected F32, F16 or BF16, found "
                        + info.dtype());
            }
        }
    }

    /**
     * Computes torchvision's relative position index of a square window: for tokens a and b in
     * raster order, {@code (dy + w − 1) · (2w − 1) + (dx + w − 1)} with d = coordinates of a − b.
     *
     * @param window the window side w
     * @return the index, of length w⁴
     */
    public static long[] relativePositionIndex(int window) {
        int n = window * window;
        long[] index = new long[n * n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                int dy = a / window - b / window + window - 1;
                int dx = a % window - b % window + window - 1;
                index[a * n + b] = (long) dy * (2 * window - 1) + dx;
            }
        }
        return index;
    }
}
