package dev.sinewich.serve.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TaskKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A loaded Free Sinewich model: one resident backbone (shared LoRA merged), one fused Sine-AWB
 * kernel per adapted linear, the shared decoder, and per task only its frequencies and head. Runs
 * the forward pass of SPEC §4 for a batch of images and one task.
 *
 * <p>Thread-safe: concurrent {@link #predict} calls share the resident weights read-only and each
 * owns its intermediates in a per-call manager that is closed before returning. The resident
 * manager is capped after load, so an operation that would leave a per-request array in it fails
 * instead of leaking. Close the model to free its native memory.
 */
public final class SinewichModel implements AutoCloseable {

    private final SinewichConfig config;
    private final NDManager resident;
    private final InputResampler resampler;
    private final SwinBackbone backbone;
    private final Decoder decoder;
    private final Map<String, TaskRuntime> tasks;

    private SinewichModel(SinewichConfig config, NDManager resident, SwinBackbone backbone, Decoder decoder,
            Map<String, TaskRuntime> tasks) {
        this.config = config;
        this.resident = resident;
        this.resampler = new InputResampler(config.input().height(), config.input().width(),
                config.input().mean(), config.input().std());
        this.backbone = backbone;
        this.decoder = decoder;
        this.tasks = tasks;
    }

    /**
     * Loads a validated bundle onto a device. The bundle may be closed afterwards.
     *
     * @param bundle the bundle
     * @param device where the weights live and the forward runs
     * @return the model
     */
    public static SinewichModel load(Bundle bundle, Device device) {
        TorchOps.disableGradOnThisThread();
        NDManager resident = NDManager.newBaseManager(device, TorchOps.ENGINE);
        try {
            WeightReader reader = new WeightReader(bundle, resident);
            SinewichConfig config = bundle.config();
            SinewichConfig.Lowpass lp = config.awb().lowpass();
            TaskKernels kernels = new TaskKernels((float) config.awb().gain(),
                    lp == null ? null : new Lowpass(lp.size(), lp.sigma(), resident));
            SwinBackbone backbone = SwinBackbone.load(reader);
            Decoder decoder = Decoder.load(reader);
            Map<String, TaskRuntime> tasks = new LinkedHashMap<>();
            for (SinewichConfig.Task task : config.tasks()) {
                tasks.put(task.name(), TaskRuntime.load(reader, task, kernels));
            }
            // from here on nothing may be attached to the resident manager: an operation that would
            // leave a result there (a per-request leak) fails loudly instead
            resident.cap();
            return new SinewichModel(config, resident, backbone, decoder, Map.copyOf(tasks));
        } catch (RuntimeException e) {
            resident.close();
            throw e;
        }
    }

    /**
     * Picks the device: a GPU when asked for or, with {@code auto}, when the engine sees one.
     *
     * @param choice {@code auto}, {@code cpu} or {@code gpu}
     * @return the device
     * @throws IllegalArgumentException for another choice, or {@code gpu} without a GPU
     */
    public static Device selectDevice(String choice) {
        int gpus = Engine.getEngine(TorchOps.ENGINE).getGpuCount();
        switch (choice) {
            case "cpu":
                return Device.cpu();
            case "gpu":
                if (gpus == 0) {
                    throw new IllegalArgumentException("device gpu was asked for, but PyTorch sees no GPU");
                }
                return Device.gpu();
            case "auto":
                return gpus > 0 ? Device.gpu() : Device.cpu();
            default:
                throw new IllegalArgumentException("device must be auto, cpu or gpu, found " + choice);
        }
    }

    /**
     * Returns the bundle's configuration.
     *
     * @return the configuration
     */
    public SinewichConfig config() {
        return config;
    }

    /**
     * Returns the device the model runs on.
     *
     * @return the device
     */
    public Device device() {
        return resident.getDevice();
    }

    /**
     * Returns a task's per-stage frequencies ω_t.
     *
     * @param task the task name
     * @return ω per stage
     * @throws InvalidInputException for an unknown task
     */
    public float[] frequencies(String task) {
        return runtime(task).frequencies();
    }

    /**
     * Runs the forward pass for a batch and one task.
     *
     * @param images the images, any size
     * @param task the task name
     * @param outputs the output names wanted; empty means the kind's default outputs
     *     (everything but {@code probabilities})
     * @return the outputs at the received image size, batch first
     * @throws InvalidInputException for an unknown task or output name
     */
    public List<OutputTensor> predict(ImageBatch images, String task, Set<String> outputs) {
        TaskRuntime runtime = runtime(task);
        Set<String> wanted = resolveOutputs(runtime.spec(), outputs);
        float[] prepared = resampler.prepare(images);
        TorchOps.disableGradOnThisThread();
        try (NDManager scope = NDManager.newBaseManager(resident.getDevice(), TorchOps.ENGINE)) {
            NDArray x = scope.create(prepared,
                    new Shape(images.count(), 3, config.input().height(), config.input().width()));
            List<NDArray> features = backbone.features(x, runtime);
            NDArray logits = runtime.head(decoder.fuse(features));
            return OutputMaker.make(runtime.spec().kind(), logits, images.height(), images.width(), wanted);
        }
    }

    private TaskRuntime runtime(String task) {
        TaskRuntime runtime = task == null ? null : tasks.get(task);
        if (runtime == null) {
            throw new InvalidInputException("unknown task '" + task + "'; this model serves "
                    + String.join(", ", config.tasks().stream().map(SinewichConfig.Task::name).toList()));
        }
        return runtime;
    }

    private static Set<String> resolveOutputs(SinewichConfig.Task task, Set<String> requested) {
        TaskKind kind = task.kind();
        if (requested == null || requested.isEmpty()) {
            return kind == TaskKind.SEGMENTATION ? Set.of("labels") : Set.of(kind.outputNames().get(0));
        }
        for (String name : requested) {
            if (!kind.outputNames().contains(name)) {
                throw new InvalidInputException("task '" + task.name() + "' (" + kind.jsonName()
                        + ") has no output '" + name + "'; it has " + String.join(", ", kind.outputNames()));
            }
        }
        return requested;
    }

    /** Returns the manager that owns the resident weights (capped after load). */
    NDManager residentManager() {
        return resident;
    }

    @Override
    public void close() {
        resident.close();
    }
}
