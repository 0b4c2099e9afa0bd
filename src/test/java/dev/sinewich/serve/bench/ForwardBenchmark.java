package dev.sinewich.serve.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.EngineSettings;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.KernelSettings;
import dev.sinewich.serve.model.KernelStats;
import dev.sinewich.serve.model.OutputTensor;
import dev.sinewich.serve.model.SinewichModel;
import dev.sinewich.serve.model.onnx.OrtNetwork;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Times the Java forward pass of a bundle, the counterpart of {@code tools/reference/bench_pytorch.py}.
 *
 * <pre>
 * java -cp ... dev.sinewich.serve.bench.ForwardBenchmark --bundle DIR --size H W --threads T \
 *     --batch N --warmup 3 --iters 10 --task NAME [--kernels on-the-fly|cache]
 *     [--engine onnxruntime|pytorch] [--seed S]
 * </pre>
 *
 * <p>Loads the model once, then times {@link SinewichModel#predict} on one fixed, seeded random batch
 * (values uniform in [0, 1); the same distribution as the Python script's {@code torch.rand}, not the
 * same values). Prints one JSON line shaped like the Python script's:
 * <ul>
 *   <li>{@code forward_ms}: the full SPEC forward per call, as a caller sees it (resize if the size
 *       differs from the model input, normalise, backbone, decoder, head, final resize, per-kind
 *       outputs copied back to Java arrays), with median, p90 and min over {@code --iters} timed calls
 *       after {@code --warmup} untimed ones.
 *   <li>{@code kernels}: how the task weights W_t = W + gain · lowpass(sin(ω·M)) are provided.
 *       {@code on-the-fly} (the default of {@code SinewichModel.load(bundle, device)}) derives them
 *       inside every call; {@code cache} materialises the task's weights at load (preloaded, budget
 *       unbounded), which is what bench_pytorch.py does before it times.
 *   <li>{@code kernel_derive_ms_per_call}: the time the kernel policy spent deriving W_t during the
 *       timed calls, per call (from {@link SinewichModel#kernelStats()}; 0 with a warm cache).
 *   <li>{@code backbone_only_ms}: {@code null}; the backbone is internal to the model, so the
 *       Python script's backbone-only figure has no Java counterpart here.
 * </ul>
 *
 * <p>Run offline: the system properties {@code ai.djl.offline} and {@code OPT_OUT_TRACKING} are set
 * here before the engine starts unless given; {@code --threads} sets
 * {@code ai.djl.pytorch.num_threads} (intra-op) and {@code ai.djl.pytorch.num_interop_threads} is 1
 * unless given.
 */
public final class ForwardBenchmark {

    /** The cache budget with {@code --kernels cache}: large enough for any bundle's task weights. */
    private static final long UNBOUNDED = 1L << 40;

    private ForwardBenchmark() {}

    /** The parsed command line. */
    private record Options(Path bundle, int height, int width, int threads, int batch, int warmup, int iters,
            String task, String kernels, String engine, long seed) {}

    /**
     * Runs the benchmark.
     *
     * @param args the command line, see the class comment
     * @throws Exception when loading or running fails
     */
    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        setDefault("ai.djl.offline", "true");
        setDefault("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(o.threads()));
        setDefault("ai.djl.pytorch.num_interop_threads", "1");

        long t0 = System.nanoTime();
        SinewichModel model;
        String task;
        try (Bundle bundle = Bundle.open(o.bundle())) {
            task = o.task() != null ? o.task() : bundle.config().tasks().get(0).name();
            KernelSettings settings = o.kernels().equals("cache")
                    ? new KernelSettings("cache", UNBOUNDED, Set.of(task), Set.of(task))
                    : KernelSettings.ON_THE_FLY;
            model = SinewichModel.load(bundle, Device.cpu(), settings, new EngineSettings(o.engine(), o.threads()));
        }
        double loadMs = (System.nanoTime() - t0) / 1e6;
        try (model) {
            SinewichConfig config = model.config();
            ImageBatch images = randomImages(o.batch(), o.height(), o.width(), o.seed());

            List<OutputTensor> last = new ArrayList<>(1);
            double[] derive = new double[1];
            String forward = time(() -> {
                last.clear();
                last.addAll(model.predict(images, task, Set.of()));
            }, o.warmup(), o.iters(), () -> derive[0] = model.kernelStats().materialisationSeconds());
            KernelStats stats = model.kernelStats();
            double deriveMsPerCall = (stats.materialisationSeconds() - derive[0]) * 1000 / o.iters();

            StringBuilder json = new StringBuilder(512).append('{');
            field(json, "engine", quote(model.engine().equals("onnxruntime")
                    ? "onnxruntime " + OrtNetwork.version() + " (java)"
                    : "djl-pytorch " + Engine.getEngine("PyTorch").getVersion() + " (djl " + Engine.getDjlVersion() + ")"));
            field(json, "bundle", quote(config.name()));
            field(json, "task", quote(task));
            field(json, "model_input", "[" + config.input().height() + ", " + config.input().width() + "]");
            field(json, "size", "[" + o.height() + ", " + o.width() + "]");
            field(json, "batch", Integer.toString(o.batch()));
            field(json, "threads", Integer.toString(o.threads()));
            field(json, "interop_threads", quote(System.getProperty("ai.djl.pytorch.num_interop_threads")));
            field(json, "warmup", Integer.toString(o.warmup()));
            field(json, "iters", Integer.toString(o.iters()));
            field(json, "forward_ms", forward);
            field(json, "backbone_only_ms", "null");
            field(json, "kernels", quote(stats.policy()));
            field(json, "kernel_derive_ms_per_call", fmt(deriveMsPerCall));
            field(json, "kernel_stats", quote(stats.toString()));
            field(json, "load_ms", fmt(loadMs));
            field(json, "outputs", quote(last.toString()));
            field(json, "java", quote(System.getProperty("java.vm.name") + " " + System.getProperty("java.version")));
            json.setLength(json.length() - 2);
            System.out.println(json.append('}'));
        }
    }

    /** Times calls like bench_pytorch.py's {@code _time}: median, p90 (round-half-even index) and min. */
    private static String time(Runnable call, int warmup, int iters, Runnable afterWarmup) {
        for (int i = 0; i < warmup; i++) {
            call.run();
        }
        afterWarmup.run();
        double[] ms = new double[iters];
        for (int i = 0; i < iters; i++) {
            long t = System.nanoTime();
            call.run();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        double median = iters % 2 == 1 ? ms[iters / 2] : (ms[iters / 2 - 1] + ms[iters / 2]) / 2;
        double p90 = ms[Math.min(iters - 1, (int) Math.rint(0.9 * (iters - 1)))];
        return "{\"median\": " + fmt(median) + ", \"p90\": " + fmt(p90) + ", \"min\": " + fmt(ms[0]) + "}";
    }

    private static ImageBatch randomImages(int n, int h, int w, long seed) {
        Random random = new Random(seed);
        float[] pixels = new float[3 * n * h * w];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = random.nextFloat();
        }
        return new ImageBatch(n, h, w, pixels);
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static void field(StringBuilder json, String key, String value) {
        json.append(quote(key)).append(": ").append(value).append(", ");
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static Options parse(String[] args) {
        Path bundle = null;
        int height = -1;
        int width = -1;
        int threads = 1;
        int batch = 1;
        int warmup = 3;
        int iters = 10;
        String task = null;
        String kernels = "on-the-fly";
        String engine = "onnxruntime";
        long seed = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--bundle" -> bundle = Paths.get(value(args, ++i, a));
                case "--size" -> {
                    height = positive(value(args, ++i, a), a);
                    width = positive(value(args, ++i, a), a);
                }
                case "--threads" -> threads = positive(value(args, ++i, a), a);
                case "--batch" -> batch = positive(value(args, ++i, a), a);
                case "--engine" -> engine = value(args, ++i, a);
                case "--warmup" -> warmup = Integer.parseInt(value(args, ++i, a));
                case "--iters" -> iters = positive(value(args, ++i, a), a);
                case "--task" -> task = value(args, ++i, a);
                case "--kernels" -> {
                    kernels = value(args, ++i, a);
                    if (!kernels.equals("on-the-fly") && !kernels.equals("cache")) {
                        usage("--kernels must be on-the-fly or cache, found " + kernels);
                    }
                }
                case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
                case "-h", "--help" -> usage(null);
                default -> usage("unknown argument " + a);
            }
        }
        if (bundle == null || height < 0) {
            usage("--bundle and --size are required");
        }
        return new Options(bundle, height, width, threads, batch, Math.max(0, warmup), iters, task, kernels, engine, seed);
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            usage(flag + " needs a value");
        }
        return args[i];
    }

    private static int positive(String s, String flag) {
        int v = Integer.parseInt(s);
        if (v < 1) {
            usage(flag + " must be positive, found " + v);
        }
        return v;
    }

    private static void usage(String error) {
        if (error != null) {
            System.err.println("error: " + error);
        }
        System.err.println("usage: ForwardBenchmark --bundle DIR --size H W [--threads T] [--batch N]"
                + " [--warmup W] [--iters I] [--task NAME] [--kernels on-the-fly|cache] [--seed S]");
        System.exit(error == null ? 0 : 2);
    }
}
