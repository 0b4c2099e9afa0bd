package dev.sinewich.serve.model;

import ai.djl.Device;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.onnx.OnnxRuntimeForward;
import dev.sinewich.serve.model.swin.Decoder;
import dev.sinewich.serve.model.swin.SwinBackbone;
import dev.sinewich.serve.model.torch.TorchForward;

/**
 * Opens the engine that settings ask for (see {@link EngineSettings}) on the loaded network: the
 * one place that names the engines' classes. Stateless and thread-safe.
 */
final class ForwardEngines {

    private ForwardEngines() {}

    /**
     * Opens an engine, resolving {@code auto} for the device.
     *
     * @param settings the engine settings
     * @param device where the model runs
     * @param config the bundle's configuration
     * @param backbone the loaded backbone
     * @param decoder the loaded decoder
     * @return the engine
     * @throws IllegalArgumentException when the engine cannot run on the device
     */
    static ForwardEngine open(EngineSettings settings, Device device, SinewichConfig config, SwinBackbone backbone,
            Decoder decoder) {
        String name = settings.resolve(device.isGpu());
        if (name.equals(OnnxRuntimeForward.NAME)) {
            if (device.isGpu()) {
                throw new IllegalArgumentException("engine onnxruntime runs on a CPU; use engine pytorch or auto "
                        + "for device " + device);
            }
            return OnnxRuntimeForward.open(config, backbone, decoder, settings.threads());
        }
        return new TorchForward(backbone, decoder, config.input());
    }
}
