package dev.sinewich.serve.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TaskFile;
import dev.sinewich.serve.model.swin.BlockLinear;
import dev.sinewich.serve.model.swin.Decoder;
import dev.sinewich.serve.model.swin.SwinBackbone;
import dev.sinewich.serve.model.swin.WeightReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loaded Free Sinewich model: one resident backbone (shared LoRA merged), one fused Sine-AWB
 * kernel per adapted linear, the shared decoder, and per task only its frequencies and head. Runs
 * the forward pass of SPEC §4 for batches of images and tasks on one of two engines (see
 * {@link EngineSettings}): ONNX Runtime, which runs the network as ONNX graphs written at load, or
 * PyTorch through DJL. Everything else (tasks, kernel policy, batch layout, input resizing) is the
 * same for both, and neither the scheduler nor the APIs see which engine ran a pass.
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
    private final ForwardEngine engine;
    private final long backboneBytes;
    private final long decoderBytes;
    private final KernelPolicy kernels;
    private final TaskRegistry tasks;
    private final AtomicInteger users = new AtomicInteger();
    private final AtomicBoolean freed = new AtomicBoolean();
    private volatile boolean closing;

    private SinewichModel(SinewichConfig config, NDManager resident, SwinBackbone backbone, ForwardEngine engine,
            TaskRegistry tasks, KernelPolicy kernels, long[] staticBytes) {
        this.config = config;
        this.backboneBytes = staticBytes[0];
        this.decoderBytes = staticBytes[1];
        this.resident = resident;
        this.resampler = new InputResampler(config.input().height(), config.input().width());
        this.backbone = backbone;
        this.engine = engine;
        this.tasks = tasks;
        this.kernels = kernels;
    }

    /**
     * Loads a validated bundle onto a device. The bundle may be closed afterwards.
     *
     * @param bundle the bundle
     * @param device where the weights live and the forward runs
     * @return the model
     */
    public static SinewichModel load(Bundle bundle, Device device) {
        return load(bundle, device, KernelSettings.ON_THE_FLY, EngineSettings.AUTO);
    }

    /**
     * Loads a validated bundle onto a device with a task-kernel policy and the engine {@code auto}
     * picks. The bundle may be closed afterwards.
     *
     * @param bundle the bundle
     * @param device where the weights live and the forward runs
     * @param kernelSettings how per-task weights are provided
     * @return the model
     * @throws IllegalArgumentException when a pinned or preloaded task is not in the bundle
     */
    public static SinewichModel load(Bundle bundle, Device device, KernelSettings kernelSettings) {
        return load(bundle, device, kernelSettings, EngineSettings.AUTO);
    }

    /**
     * Loads a validated bundle onto a device with a task-kernel policy and an engine. The bundle
     * may be closed afterwards.
     *
     * @param bundle the bundle
     * @param device where the weights live and the forward runs
     * @param kernelSettings how per-task weights are provided
     * @param engineSettings which engine runs the network
     * @return the model
     * @throws IllegalArgumentException when a pinned or preloaded task is not in the bundle, or the
     *     engine cannot run on the device
     */
    public static SinewichModel load(Bundle bundle, Device device, KernelSettings kernelSettings,
            EngineSettings engineSettings) {
        return load(bundle, device, kernelSettings, engineSettings, null);
    }

    /**
     * Loads a validated bundle onto a device with a task-kernel policy and an engine, under a model
     * name of the server's choosing. The bundle may be closed afterwards.
     *
     * @param bundle the bundle
     * @param device where the weights live and the forward runs
     * @param kernelSettings how per-task weights are provided
     * @param engineSettings which engine runs the network
     * @param servedName the model name to serve under, or {@code null} for the bundle's own
     * @return the model; its {@link #config()} carries the served name
     * @throws IllegalArgumentException when a pinned or preloaded task is not in the bundle, or the
     *     engine cannot run on the device
     */
    public static SinewichModel load(Bundle bundle, Device device, KernelSettings kernelSettings,
            EngineSettings engineSettings, String servedName) {
        TensorStore.disableGradOnThisThread();
        NDManager resident = NDManager.newBaseManager(device, TensorStore.ENGINE);
        try {
            WeightReader reader = new WeightReader(bundle, resident);
            SinewichConfig config = servedName == null ? bundle.config() : bundle.config().withName(servedName);
            SinewichConfig.Lowpass lp = config.awb().lowpass();
            TaskKernels kernels = new TaskKernels((float) config.awb().gain(),
                    lp == null ? null : new Lowpass(lp.size(), lp.sigma()));
            SwinBackbone backbone = SwinBackbone.load(reader);
            Decoder decoder = Decoder.load(reader);
            // from here on nothing may be attached to the resident manager: an operation that would
            // leave a result there (a per-request leak) fails loudly instead
            resident.cap();
            // measured before an engine that copies the network frees the originals
            long[] staticBytes = {backbone.baseBytes(), decoder.bytes()};
            ForwardEngine engine = ForwardEngines.open(engineSettings, device, config, backbone, decoder);
            TaskRegistry tasks = null;
            try {
                tasks = TaskRegistry.load(bundle, kernels, device);
                KernelPolicy policy = KernelPolicies.create(kernelSettings, device, backbone.adaptedLinears(),
                        tasks.snapshot());
                return new SinewichModel(config, resident, backbone, engine, tasks, policy, staticBytes);
            } catch (RuntimeException e) {
                if (tasks != null) {
                    tasks.close();
                }
                engine.close();
                throw e;
            }
        } catch (RuntimeException | Error e) {
            resident.close();
            throw e;
        }
    }

    /**
     * Returns the engine that runs the network.
     *
     * @return {@code onnxruntime} or {@code pytorch}
     */
    public String engine() {
        return engine.name();
    }

    /**
     * Picks the device: a GPU when asked for or, with {@code auto}, when the engine sees one.
     *
     * @param choice {@code auto}, {@code cpu} or {@code gpu}
     * @return the device
     * @throws IllegalArgumentException for another choice, or {@code gpu} without a GPU
     */
    public static Device selectDevice(String choice) {
        int gpus = Engine.getEngine(TensorStore.ENGINE).getGpuCount();
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
        return tasks.get(task).frequencies();
    }

    /**
     * Returns the bytes the model keeps resident, by part.
     *
     * @return a snapshot
     */
    public ResidentMemory memory() {
        List<BlockLinear> adapted = backbone.adaptedLinears();
        long fused = adapted.stream().mapToLong(BlockLinear::fusedBytes).sum();
        Map<String, Long> heads = new LinkedHashMap<>();
        tasks.snapshot().forEach((name, task) -> heads.put(name, task.bytes()));
        return new ResidentMemory(backboneBytes, fused, decoderBytes, Collections.unmodifiableMap(heads),
                CachedKernels.bytesPerTask(adapted), kernels.stats().residentBytes());
    }

    /**
     * Returns the task-kernel policy's counters.
     *
     * @return a snapshot
     */
    public KernelStats kernelStats() {
        return kernels.stats();
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
        return predictBatch(List.of(ForwardItem.of(images, task, outputs))).get(0).get(task);
    }

    /**
     * Checks that an item names only known tasks and outputs, without running anything.
     *
     * @param item the item
     * @throws InvalidInputException naming the unknown task or output
     */
    public void validate(ForwardItem item) {
        tasks.validate(item);
    }

    /**
     * Counts the values an item's outputs will hold, from its tasks, outputs and image size, before
     * anything runs: channels · N · h · w summed over the outputs it will get.
     *
     * @param item a validated item
     * @return the number of output values (saturating at {@link Long#MAX_VALUE})
     * @throws InvalidInputException for an unknown task
     */
    public long outputValues(ForwardItem item) {
        return tasks.outputValues(item);
    }

    /**
     * Runs one forward pass for several items, of any tasks and image sizes. Everything before the
     * first task-specific block runs once per image; each adapted linear applies each task's
     * weight to that task's rows; heads run per task. Results equal separate calls.
     *
     * @param items the items
     * @return for each item, its outputs by task name (in the item's task order), batch first
     * @throws InvalidInputException for an unknown task or output name
     */
    public List<Map<String, List<OutputTensor>>> predictBatch(List<ForwardItem> items) {
        if (!tryRetain()) {
            throw new ModelClosedException("model '" + config.name() + "' was unloaded");
        }
        try {
            return run(items);
        } finally {
            release();
        }
    }

    private List<Map<String, List<OutputTensor>>> run(List<ForwardItem> items) {
        items.forEach(tasks::validate);
        BatchLayout layout = BatchLayout.of(items);
        float[] input = stackInputs(items, layout);
        TensorStore.disableGradOnThisThread();
        List<TaskWeights> leases = new ArrayList<>();
        List<TaskRuntime> used = new ArrayList<>();
        try (NDManager scope = NDManager.newBaseManager(resident.getDevice(), TensorStore.ENGINE)) {
            List<RowTasks.Segment> segments = new ArrayList<>();
            for (Map.Entry<String, int[]> e : layout.segments().entrySet()) {
                TaskRuntime task = tasks.get(e.getKey());
                if (!task.acquire()) {
                    throw new InvalidInputException("task '" + task.name() + "' was removed");
                }
                used.add(task);
                TaskWeights lease = kernels.lease(task);
                leases.add(lease);
                segments.add(new RowTasks.Segment(task, lease, e.getValue()[0], e.getValue()[1]));
            }
            RowTasks rows = new RowTasks(segments);
            int images = input.length / (3 * config.input().height() * config.input().width());
            ForwardEngine.Pass pass = engine.run(input, images, rows, layout.expansion(), scope);
            List<Map<String, List<OutputTensor>>> results = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                results.add(new LinkedHashMap<>());
            }
            for (int s = 0; s < segments.size(); s++) {
                RowTasks.Segment segment = segments.get(s);
                for (BatchLayout.Slot slot : layout.slots()) {
                    if (!slot.task().equals(segment.task().name())) {
                        continue;
                    }
                    ForwardItem item = items.get(slot.item());
                    results.get(slot.item()).put(slot.task(), pass.outputs(s, slot.firstRow() - segment.start(),
                            item.images().count(), item.images().height(), item.images().width(),
                            OutputSelection.resolve(segment.task().spec().kind(), item.outputs())));
                }
                pass.release(s);
            }
            for (int i = 0; i < items.size(); i++) {
                Map<String, List<OutputTensor>> ordered = new LinkedHashMap<>();
                for (String t : items.get(i).tasks()) {
                    ordered.put(t, results.get(i).get(t));
                }
                results.set(i, ordered);
            }
            return results;
        } finally {
            leases.forEach(TaskWeights::close);
            used.forEach(TaskRuntime::release);
        }
    }

    /** The images of every item at the model input size, in the layout's order, not normalised. */
    private float[] stackInputs(List<ForwardItem> items, BatchLayout layout) {
        if (items.size() == 1) {
            return resampler.resize(items.get(0).images());
        }
        int plane = 3 * config.input().height() * config.input().width();
        int images = items.stream().mapToInt(i -> i.images().count()).sum();
        float[] input = new float[images * plane];
        int offset = 0;
        for (int i : layout.inputOrder()) {
            float[] prepared = resampler.resize(items.get(i).images());
            System.arraycopy(prepared, 0, input, offset, prepared.length);
            offset += prepared.length;
        }
        return input;
    }

    /**
     * Returns the tasks served now, the bundle's first, then those added at run time.
     *
     * @return the tasks
     */
    public List<SinewichConfig.Task> tasks() {
        return tasks.specs();
    }

    /**
     * Adds a task from a validated task file without reloading or copying anything shared.
     *
     * @param file the task file, validated against this model
     * @throws InvalidInputException when a task of that name is already served
     */
    public void addTask(TaskFile file) {
        tasks.add(file);
    }

    /**
     * Removes a task. Passes already running with it finish normally; its memory is freed after them.
     *
     * @param name the task name
     * @throws InvalidInputException for an unknown task, or the last task
     */
    public void removeTask(String name) {
        tasks.remove(name);
        kernels.forget(name);
    }

    /**
     * Tells whether tasks given by Clock Net tokens can be added.
     *
     * @return true when the model has a Clock Net
     */
    public boolean hasClockNet() {
        return tasks.hasClockNet();
    }

    /** Returns the manager that owns the resident weights (capped after load). */
    NDManager residentManager() {
        return resident;
    }

    private boolean tryRetain() {
        users.incrementAndGet();
        if (closing) {
            release();
            return false;
        }
        return true;
    }

    private void release() {
        if (users.decrementAndGet() == 0 && closing) {
            free();
        }
    }

    private void free() {
        if (freed.compareAndSet(false, true)) {
            kernels.close();
            tasks.close();
            engine.close();
            resident.close();
        }
    }

    /**
     * Closes the model once the passes running on it have finished; new passes are refused with
     * {@link ModelClosedException}. Safe to call from any thread, more than once.
     */
    @Override
    public void close() {
        closing = true;
        if (users.get() == 0) {
            free();
        }
    }
}
