package dev.sinewich.serve.bench;

import ai.djl.Device;
import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.model.EngineSettings;
import dev.sinewich.serve.model.ForwardItem;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.KernelSettings;
import dev.sinewich.serve.model.SinewichModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Measures how much resident memory one forward pass adds at its peak: the process's peak resident
 * set (Linux {@code VmHWM}, reset before each pass through {@code /proc/self/clear_refs}) minus the
 * resident set just before the pass. The Java heap is sized and warmed before, so what a pass adds
 * is mostly native memory (libtorch's or ONNX Runtime's tensors) plus the Java arrays of its input
 * and outputs. Linux only.
 *
 * <pre>
 * java -cp ... dev.sinewich.serve.bench.PassMemoryBenchmark --bundle DIR --engine pytorch|onnxruntime \
 *     --size H W --batch N --tasks a,b,c [--outputs labels,probabilities] [--kernels on-the-fly|cache]
 *     [--iters 5] [--threads 2]
 * </pre>
 *
 * Prints one JSON line: the pass's added peak in MiB per call (median and max) and the resident set
 * before the first measured pass.
 */
public final class PassMemoryBenchmark {

    private PassMemoryBenchmark() {}

    /**
     * Runs the measurement.
     *
     * @param args the command line, see the class comment
     * @throws Exception when loading or running fails
     */
    public static void main(String[] args) throws Exception {
        Path bundlePath = null;
        String engine = "auto";
        int height = 512;
        int width = 512;
        int batch = 1;
        int iters = 5;
        int threads = 2;
        List<String> tasks = null;
        Set<String> outputs = Set.of();
        String kernels = "on-the-fly";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--bundle" -> bundlePath = Path.of(args[++i]);
                case "--engine" -> engine = args[++i];
                case "--size" -> {
                    height = Integer.parseInt(args[++i]);
                    width = Integer.parseInt(args[++i]);
                }
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--tasks" -> tasks = List.of(args[++i].split(","));
                case "--outputs" -> outputs = Set.of(args[++i].split(","));
                case "--kernels" -> kernels = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (bundlePath == null) {
            throw new IllegalArgumentException("--bundle is required");
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        SinewichModel model;
        try (Bundle bundle = Bundle.open(bundlePath)) {
            List<String> all = bundle.config().tasks().stream().map(t -> t.name()).toList();
            KernelSettings settings = kernels.equals("cache")
                    ? new KernelSettings("cache", Long.MAX_VALUE, Set.copyOf(all), Set.copyOf(all))
                    : KernelSettings.ON_THE_FLY;
            model = SinewichModel.load(bundle, Device.cpu(), settings, new EngineSettings(engine, threads));
        }
        try (model) {
            List<String> run = tasks != null ? tasks : model.tasks().stream().map(t -> t.name()).toList();
            Random random = new Random(1);
            float[] pixels = new float[batch * 3 * height * width];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = random.nextFloat();
            }
            ForwardItem item = new ForwardItem(new ImageBatch(batch, height, width, pixels), run, outputs);
            // warm-up: the engine's buffers, the kernels and the heap reach their steady size
            for (int i = 0; i < 2; i++) {
                model.predictBatch(List.of(item));
            }
            System.gc();
            long before = status("VmRSS");
            double[] added = new double[iters];
            for (int i = 0; i < iters; i++) {
                long rss = status("VmRSS");
                Files.writeString(Path.of("/proc/self/clear_refs"), "5");
                model.predictBatch(List.of(item));
                added[i] = (status("VmHWM") - rss) / 1024.0;
            }
            Arrays.sort(added);
            System.out.printf("{\"engine\": \"%s\", \"size\": [%d, %d], \"batch\": %d, \"tasks\": \"%s\", "
                    + "\"outputs\": \"%s\", \"kernels\": \"%s\", \"iters\": %d, \"rss_before_mib\": %.1f, "
                    + "\"pass_peak_added_mib\": {\"median\": %.1f, \"max\": %.1f}}%n", model.engine(), height, width,
                    batch, String.join(",", run), String.join(",", outputs), kernels, iters, before / 1024.0,
                    added[iters / 2], added[iters - 1]);
        }
    }

    /** A {@code /proc/self/status} field in KiB. */
    private static long status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no " + field + " in /proc/self/status");
    }
}
