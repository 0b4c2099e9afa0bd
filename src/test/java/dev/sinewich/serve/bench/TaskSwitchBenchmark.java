package dev.sinewich.serve.bench;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.bundle.BundleFiles;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.ForwardItem;
import dev.sinewich.serve.model.EngineSettings;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.KernelSettings;
import dev.sinewich.serve.model.SinewichModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Measures what task switching costs, every ratio from runs interleaved in one process:
 * <ul>
 *   <li>switch overhead per kernel policy: p50 with the task changing every request ÷ p50 with one task;
 *   <li>adapter overhead: Sinewich forward ÷ the same backbone with no task branch (the bundle
 *       rewritten without its Sine-AWB tensors);
 *   <li>mixed-task batching: throughput of a batch of 8 with 4 tasks mixed ÷ 8 of one task;
 *   <li>a multi-task request of every task ÷ one request per task.
 * </ul>
 * With {@code --memory POLICY TASKS COPIES} it instead loads COPIES models, runs TASKS tasks
 * through each, and prints the process's resident set size (run once per configuration, in fresh
 * JVMs, by {@code bench/task-switch.sh}).
 *
 * <pre>
 * java -cp ... dev.sinewich.serve.bench.TaskSwitchBenchmark --bundle DIR [--iters 15] [--threads 2]
 *     [--engine onnxruntime|pytorch]
 * java -cp ... dev.sinewich.serve.bench.TaskSwitchBenchmark --bundle DIR --memory cache 4 1
 * </pre>
 */
public final class TaskSwitchBenchmark {

    /** The engine every model of the run uses (from {@code --engine}). */
    private static EngineSettings engine = EngineSettings.AUTO;

    private TaskSwitchBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args see the class comment
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--memory")) {
                opt.put("memory", args[i + 1] + " " + args[i + 2] + " " + args[i + 3]);
                i += 3;
            } else {
                opt.put(args[i].substring(2), args[++i]);
            }
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.pytorch.num_threads", opt.getOrDefault("threads", "2"));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        engine = new EngineSettings(opt.getOrDefault("engine", "onnxruntime"),
                Integer.parseInt(opt.getOrDefault("threads", "2")));
        Path bundle = Paths.get(opt.get("bundle"));
        if (opt.containsKey("memory")) {
            String[] m = opt.get("memory").split(" ");
            memory(bundle, m[0], Integer.parseInt(m[1]), Integer.parseInt(m[2]));
        } else {
            ratios(bundle, Integer.parseInt(opt.getOrDefault("iters", "15")));
        }
    }

    private static KernelSettings policy(String name, List<String> tasks) {
        return name.equals("cache") ? new KernelSettings("cache", 1L << 40, Set.of(), Set.copyOf(tasks))
                : KernelSettings.ON_THE_FLY;
    }

    private static SinewichModel load(Path dir, String policyName) {
        try (Bundle bundle = Bundle.open(dir)) {
            List<String> tasks = bundle.config().tasks().stream().map(SinewichConfig.Task::name).toList();
            return SinewichModel.load(bundle, Device.cpu(), policy(policyName, tasks), engine);
        }
    }

    private static ImageBatch image(int h, int w, long seed) {
        Random r = new Random(seed);
        float[] p = new float[3 * h * w];
        for (int i = 0; i < p.length; i++) {
            p[i] = r.nextFloat();
        }
        return new ImageBatch(1, h, w, p);
    }

    private static void memory(Path dir, String policyName, int taskCount, int copies) throws IOException {
        List<SinewichModel> models = new ArrayList<>();
        for (int c = 0; c < copies; c++) {
            SinewichModel m = load(dir, policyName);
            models.add(m);
            SinewichConfig config = m.config();
            List<String> tasks = config.tasks().stream().map(SinewichConfig.Task::name).toList()
                    .subList(0, taskCount);
            ImageBatch img = image(config.input().height(), config.input().width(), 1);
            for (int round = 0; round < 3; round++) {
                for (String t : tasks) {
                    m.predict(img, t, Set.of());
                }
            }
        }
        System.gc();
        System.out.printf(Locale.ROOT, "{\"policy\":\"%s\",\"tasks\":%d,\"copies\":%d,\"rss_mib\":%.1f}%n",
                policyName, taskCount, copies, rssKib() / 1024.0);
        models.forEach(SinewichModel::close);
    }

    private static long rssKib() throws IOException {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** Times named runs round-robin, so that each sees the same machine conditions. */
    private static Map<String, double[]> interleaved(Map<String, Runnable> runs, int iters) {
        runs.values().forEach(Runnable::run); // warm-up
        Map<String, double[]> times = new LinkedHashMap<>();
        runs.keySet().forEach(k -> times.put(k, new double[iters]));
        for (int i = 0; i < iters; i++) {
            for (Map.Entry<String, Runnable> e : runs.entrySet()) {
                long start = System.nanoTime();
                e.getValue().run();
                times.get(e.getKey())[i] = (System.nanoTime() - start) / 1e6;
            }
        }
        return times;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static void ratios(Path dir, int iters) throws IOException {
        Path base = withoutTaskBranch(dir);
        SinewichModel fly = load(dir, "on-the-fly");
        SinewichModel cache = load(dir, "cache");
        SinewichModel plain = load(base, "on-the-fly");
        SinewichConfig config = fly.config();
        List<String> tasks = config.tasks().stream().map(SinewichConfig.Task::name).toList();
        int h = config.input().height();
        int w = config.input().width();
        ImageBatch img = image(h, w, 7);
        int[] turn = {0, 0};
        Map<String, Runnable> single = new LinkedHashMap<>();
        single.put("on-the-fly one task", () -> fly.predict(img, tasks.get(0), Set.of()));
        single.put("on-the-fly alternating", () -> fly.predict(img, tasks.get(turn[0]++ % tasks.size()), Set.of()));
        single.put("cache one task", () -> cache.predict(img, tasks.get(0), Set.of()));
        single.put("cache alternating", () -> cache.predict(img, tasks.get(turn[1]++ % tasks.size()), Set.of()));
        single.put("no task branch", () -> plain.predict(img, tasks.get(0), Set.of()));
        Map<String, double[]> t1 = interleaved(single, iters);

        List<ForwardItem> oneTask = new ArrayList<>();
        List<ForwardItem> mixed = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ImageBatch im = image(h, w, 100 + i);
            oneTask.add(ForwardItem.of(im, tasks.get(0), Set.of()));
            mixed.add(ForwardItem.of(im, tasks.get(i % tasks.size()), Set.of()));
        }
        Map<String, Runnable> batches = new LinkedHashMap<>();
        batches.put("cache batch 8 one task", () -> cache.predictBatch(oneTask));
        batches.put("cache batch 8 mixed", () -> cache.predictBatch(mixed));
        batches.put("on-the-fly batch 8 one task", () -> fly.predictBatch(oneTask));
        batches.put("on-the-fly batch 8 mixed", () -> fly.predictBatch(mixed));
        batches.put("cache multi-task request", () -> cache.predictBatch(List.of(new ForwardItem(img, tasks, Set.of()))));
        batches.put("cache one request per task", () -> tasks.forEach(t -> cache.predict(img, t, Set.of())));
        Map<String, double[]> t2 = interleaved(batches, Math.max(5, iters / 3));

        Map<String, Double> p50 = new LinkedHashMap<>();
        t1.forEach((k, v) -> p50.put(k, median(v)));
        t2.forEach((k, v) -> p50.put(k, median(v)));
        ObjectNode out = new ObjectMapper().createObjectNode();
        out.put("bundle", dir.toString()).put("input", h + "x" + w).put("tasks", tasks.size()).put("iters", iters);
        ObjectNode ms = out.putObject("p50_ms");
        p50.forEach((k, v) -> ms.put(k, Math.round(v * 10) / 10.0));
        ObjectNode r = out.putObject("ratios");
        r.put("switch_overhead_on_the_fly", round(p50.get("on-the-fly alternating") / p50.get("on-the-fly one task")));
        r.put("switch_overhead_cache", round(p50.get("cache alternating") / p50.get("cache one task")));
        r.put("adapter_overhead_on_the_fly", round(p50.get("on-the-fly one task") / p50.get("no task branch")));
        r.put("adapter_overhead_cache", round(p50.get("cache one task") / p50.get("no task branch")));
        r.put("mixed_batch_throughput_cache", round(p50.get("cache batch 8 one task") / p50.get("cache batch 8 mixed")));
        r.put("mixed_batch_throughput_on_the_fly",
                round(p50.get("on-the-fly batch 8 one task") / p50.get("on-the-fly batch 8 mixed")));
        r.put("multi_task_request_vs_separate",
                round(p50.get("cache multi-task request") / p50.get("cache one request per task")));
        System.out.println(out.toPrettyString());
        fly.close();
        cache.close();
        plain.close();
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** Writes a copy of the bundle without its Sine-AWB branch: the same backbone, no task kernels. */
    static Path withoutTaskBranch(Path dir) throws IOException {
        Path out = Files.createTempDirectory("sinewich-no-awb-");
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("sinewich.json").toFile());
        ((ObjectNode) config.get("awb")).putArray("targets");
        json.writeValue(out.resolve("sinewich.json").toFile(), config);
        Map<String, BundleFiles.Raw> tensors = BundleFiles.read(dir.resolve("model.safetensors"));
        tensors.keySet().removeIf(name -> name.contains(".awb_"));
        BundleFiles.write(out.resolve("model.safetensors"), tensors, Map.of());
        out.toFile().deleteOnExit();
        return out;
    }
}
