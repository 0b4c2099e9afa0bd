package dev.sinewich.serve.api.rest.v1;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.SinewichModel;
import java.util.List;

/**
 * One served model as {@code GET /v1/models} lists it. Immutable.
 *
 * @param name the model name (the bundle's)
 * @param version the bundle's version
 * @param device where it runs: {@code cpu} or {@code gpu:N}
 * @param input the size images are resized to, and the normalisation
 * @param engine what runs the network: {@code onnxruntime} or {@code pytorch}
 * @param kernelPolicy how task weights are provided: {@code on-the-fly} or {@code cache}
 * @param tasks the names of the tasks served now
 */
public record ModelSummary(String name, String version, String device, String engine, Input input,
        @JsonProperty("kernel_policy") String kernelPolicy, List<String> tasks) {

    /**
     * The model's input.
     *
     * @param height H, pixels
     * @param width W, pixels
     * @param mean the per-channel RGB mean subtracted
     * @param std the per-channel RGB standard deviation divided by
     */
    public record Input(int height, int width, List<Float> mean, List<Float> std) {}

    /**
     * Summarises a model.
     *
     * @param model the model
     * @return its summary
     */
    public static ModelSummary of(SinewichModel model) {
        SinewichConfig c = model.config();
        return new ModelSummary(c.name(), c.version(), device(model), model.engine(), input(c),
                model.kernelStats().policy(),
                model.tasks().stream().map(SinewichConfig.Task::name).toList());
    }

    static Input input(SinewichConfig c) {
        return new Input(c.input().height(), c.input().width(), c.input().mean(), c.input().std());
    }

    static String device(SinewichModel model) {
        return model.device().isGpu() ? "gpu:" + model.device().getDeviceId() : model.device().getDeviceType();
    }
}
