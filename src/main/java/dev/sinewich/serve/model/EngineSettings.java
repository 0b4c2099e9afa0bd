package dev.sinewich.serve.model;

import dev.sinewich.serve.model.onnx.OnnxRuntimeForward;
import dev.sinewich.serve.model.torch.TorchForward;
import java.util.Set;

/**
 * Which engine runs the network: {@code onnxruntime} (ONNX Runtime, CPUs), {@code pytorch} (DJL +
 * libtorch, CPUs and GPUs) or {@code auto} (ONNX Runtime on a CPU, PyTorch on a GPU), and the
 * intra-op threads it may use.
 *
 * @param engine {@code auto}, {@code onnxruntime} or {@code pytorch}
 * @param threads intra-op threads, 0 for the engine's default
 */
public record EngineSettings(String engine, int threads) {

    /** The engine names accepted in {@link #engine}. */
    public static final Set<String> ENGINES = Set.of("auto", OnnxRuntimeForward.NAME, TorchForward.NAME);

    /** {@code auto} with each engine's default threads. */
    public static final EngineSettings AUTO = new EngineSettings("auto", 0);

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException for an unknown engine or negative threads
     */
    public EngineSettings {
        if (!ENGINES.contains(engine)) {
            throw new IllegalArgumentException("engine must be one of auto, onnxruntime, pytorch; found " + engine);
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be ≥ 0, found " + threads);
        }
    }

    /**
     * Resolves {@code auto} for a device.
     *
     * @param gpu whether the model runs on a GPU
     * @return the engine name
     */
    String resolve(boolean gpu) {
        if (!engine.equals("auto")) {
            return engine;
        }
        return gpu ? TorchForward.NAME : OnnxRuntimeForward.NAME;
    }
}
