package dev.sinewich.serve.api.oip;

import dev.sinewich.serve.imaging.ImageDecoder;
import dev.sinewich.serve.imaging.ImageLimits;
import dev.sinewich.serve.model.ForwardItem;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.serving.InferenceRequest;
import dev.sinewich.serve.serving.InferenceResult;
import dev.sinewich.serve.serving.InferenceService;
import dev.sinewich.serve.serving.ServingConfig;
import dev.sinewich.serve.serving.TensorBudget;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * The Open Inference Protocol's infer call, shared by every wire format (SPEC §5): validates the
 * {@code task} parameter and the {@code image} input, then schedules the forward pass. Thread-safe.
 */
@ApplicationScoped
public class OipInference {

    /** The single input every Sinewich model takes. */
    public static final String IMAGE = "image";

    private final InferenceService inference;
    /**
     * The request parameters: the task, the deadline and the binary data extension's default for
     * outputs. Any other is a 400, so that a misspelt one is not silently ignored.
     */
    static final List<String> PARAMETERS = List.of("task", "timeout_ms", "binary_data_output");

    private final ImageLimits limits;

    /**
     * Creates the handler.
     *
     * @param inference the scheduler
     * @param config the server settings (image limits)
     */
    public OipInference(InferenceService inference, ServingConfig config) {
        this.inference = inference;
        this.limits = ImageLimits.of(config.limits().maxImagePixels(), config.limits().maxRequestPixels(),
                config.limits().maxImageBytes().asLongValue());
    }

    /**
     * Validates and runs a request.
     *
     * @param modelName the model in the request path
     * @param request the request
     * @param lease the request's memory lease (its images are reserved before they are decoded)
     * @return the scheduler's result (the task's outputs are under the task name); cancel it when
     *     the caller goes away
     */
    public CompletableFuture<InferenceResult> infer(String modelName, InferRequest request, TensorBudget.Lease lease) {
        return infer(modelName, request, lease, UnaryOperator.identity());
    }

    /**
     * Validates and runs a request whose transport has a deadline of its own (a gRPC call's).
     *
     * @param modelName the model in the request path
     * @param request the request
     * @param lease the request's memory lease (its images are reserved before they are decoded)
     * @param deadline maps the request's own {@code timeout_ms} (or {@code null} when it names none)
     *     to the deadline the scheduler gets, e.g. the sooner of it and the call's
     * @return the scheduler's result; cancel it when the caller goes away
     */
    public CompletableFuture<InferenceResult> infer(String modelName, InferRequest request, TensorBudget.Lease lease,
            UnaryOperator<Duration> deadline) {
        for (String name : request.parameters().keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw new InvalidInputException("unknown request parameter '" + name + "'; accepted are "
                        + String.join(", ", PARAMETERS));
            }
        }
        Object task = request.parameters().get("task");
        Duration own = deadline(request.parameters().get("timeout_ms"));
        if (task == null) {
            throw new InvalidInputException("the request parameter 'task' is required (a task name of model '"
                    + modelName + "')");
        }
        if (!(task instanceof String)) {
            throw new InvalidInputException("the request parameter 'task' must be a string, found " + task);
        }
        ImageBatch images = images(request.inputs(), lease);
        ForwardItem item = ForwardItem.of(images, (String) task, new LinkedHashSet<>(request.outputs()));
        return inference.submit(new InferenceRequest(modelName, item, deadline.apply(own), lease));
    }

    private static Duration deadline(Object timeoutMs) {
        if (timeoutMs == null) {
            return null;
        }
        if (!(timeoutMs instanceof Long)) {
            throw new InvalidInputException("the request parameter 'timeout_ms' must be an integer, found " + timeoutMs);
        }
        return Duration.ofMillis((Long) timeoutMs);
    }

    private ImageBatch images(List<InferRequest.Input> inputs, TensorBudget.Lease lease) {
        if (inputs.size() != 1 || !IMAGE.equals(inputs.get(0).name())) {
            throw new InvalidInputException("expected exactly one input named 'image', found "
                    + inputs.stream().map(i -> "'" + i.name() + "'").toList());
        }
        return image(inputs.get(0), lease);
    }

    /**
     * Turns one image input into an image batch (SPEC §5): BYTES (N) of encoded PNG/JPEG files,
     * decoded within the server's image limits; FP32 (N, 3, h, w); or UINT8 (N, h, w, 3). Shared
     * with the typed gRPC API so that every surface accepts images by the same rules.
     *
     * @param input the image input, whatever its name
     * @param lease the request's memory lease: the images are reserved once their size is checked,
     *     before any pixel buffer is allocated
     * @return the images
     * @throws dev.sinewich.serve.model.InvalidInputException naming what is wrong (an
     *     {@link dev.sinewich.serve.imaging.ImageTooLargeException} for an oversized file)
     */
    public ImageBatch image(InferRequest.Input input, TensorBudget.Lease lease) {
        ImageLimits limits = this.limits.forRequest(lease::reserveImages);
        String datatype = input.datatype();
        if ("BYTES".equals(datatype)) {
            if (input.shape().length != 1 || input.shape()[0] != input.count() || input.count() < 1) {
                throw new InvalidInputException("input 'image' BYTES must have shape (N) with N ≥ 1 encoded files; "
                        + "found shape " + java.util.Arrays.toString(input.shape()) + " with " + input.count()
                        + " elements");
            }
            return ImageDecoder.decodeAll(input.elements(), limits).toImageBatch();
        }
        if (!"FP32".equals(datatype) && !"UINT8".equals(datatype)) {
            throw new InvalidInputException("input 'image' datatype must be FP32 (N, 3, h, w), UINT8 (N, h, w, 3) "
                    + "or BYTES (N) of PNG/JPEG files; found " + datatype);
        }
        int expected = ImageTensors.checkShape(datatype, input.shape(), limits);
        int found = input.count();
        if (found != expected) {
            throw new InvalidInputException("input 'image' of shape " + java.util.Arrays.toString(input.shape())
                    + " needs " + expected + " values, found " + found);
        }
        return "UINT8".equals(datatype)
                ? ImageTensors.fromUint8(input.shape(), input.bytes())
                : ImageTensors.fromFp32(input.shape(), input.floats());
    }
}
