package dev.sinewich.serve.api.oip;

import dev.sinewich.serve.model.ForwardItem;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.serving.ImageTensors;
import dev.sinewich.serve.serving.InferenceRequest;
import dev.sinewich.serve.serving.InferenceResult;
import dev.sinewich.serve.serving.InferenceService;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

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
     * Creates the handler.
     *
     * @param inference the scheduler
     */
    public OipInference(InferenceService inference) {
        this.inference = inference;
    }

    /**
     * Validates and runs a request.
     *
     * @param modelName the model in the request path
     * @param request the request
     * @return the scheduler's result (the task's outputs are under the task name); cancel it when
     *     the caller goes away
     */
    public CompletableFuture<InferenceResult> infer(String modelName, InferRequest request) {
        Object task = request.parameters().get("task");
        Duration deadline = deadline(request.parameters().get("timeout_ms"));
        if (task == null) {
            throw new InvalidInputException("the request parameter 'task' is required (a task name of model '"
                    + modelName + "')");
        }
        if (!(task instanceof String)) {
            throw new InvalidInputException("the request parameter 'task' must be a string, found " + task);
        }
        ImageBatch images = images(request.inputs());
        ForwardItem item = ForwardItem.of(images, (String) task, new LinkedHashSet<>(request.outputs()));
        return inference.submit(new InferenceRequest(modelName, item, deadline));
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

    private static ImageBatch images(List<InferRequest.Input> inputs) {
        if (inputs.size() != 1 || !IMAGE.equals(inputs.get(0).name())) {
            throw new InvalidInputException("expected exactly one input named 'image', found "
                    + inputs.stream().map(i -> "'" + i.name() + "'").toList());
        }
        InferRequest.Input input = inputs.get(0);
        String datatype = input.datatype();
        if (!"FP32".equals(datatype) && !"UINT8".equals(datatype)) {
            throw new InvalidInputException("input 'image' datatype must be FP32 (N, 3, h, w) or UINT8 (N, h, w, 3), "
                    + "found " + datatype);
        }
        int expected = ImageTensors.checkShape(datatype, input.shape());
        int found = input.floats() != null ? input.floats().length : input.bytes().length;
        if (found != expected) {
            throw new InvalidInputException("input 'image' of shape " + java.util.Arrays.toString(input.shape())
                    + " needs " + expected + " values, found " + found);
        }
        return "UINT8".equals(datatype)
                ? ImageTensors.fromUint8(input.shape(), input.bytes())
                : ImageTensors.fromFp32(input.shape(), input.floats());
    }
}
