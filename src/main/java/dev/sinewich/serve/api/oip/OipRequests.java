package dev.sinewich.serve.api.oip;

import dev.sinewich.serve.imaging.ImageDecoder;
import dev.sinewich.serve.imaging.ImageLimits;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.serving.PredictionRequest;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Maps the Open Inference Protocol's infer request, whatever its wire format (SPEC §5), to the
 * server's {@link PredictionRequest}: checks the parameters ({@code task}, {@code timeout_ms},
 * {@code binary_data_output}) and the single {@code image} input, whose tensor is read by the same
 * rules on every surface. Stateless and thread-safe.
 */
public final class OipRequests {

    /** The single input every Sinewich model takes. */
    public static final String IMAGE = "image";

    /**
     * The request parameters: the task, the timeout and the binary data extension's default for
     * outputs. Any other is a 400, so that a misspelt one is not silently ignored.
     */
    static final List<String> PARAMETERS = List.of("task", "timeout_ms", "binary_data_output");

    private OipRequests() {}

    /**
     * Maps a request.
     *
     * @param modelName the model in the request path
     * @param request the request
     * @param timeout maps the request's own {@code timeout_ms} (or {@code null} when it names none)
     *     to the timeout the request gets, e.g. the sooner of it and a gRPC call's deadline
     * @return the prediction request, of the one task named
     * @throws InvalidInputException for an unknown parameter, a missing or non-string task, a
     *     non-integer timeout, or inputs other than one named {@code image}
     */
    public static PredictionRequest prediction(String modelName, OipRequest request, UnaryOperator<Duration> timeout) {
        for (String name : request.parameters().keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw new InvalidInputException("unknown request parameter '" + name + "'; accepted are "
                        + String.join(", ", PARAMETERS));
            }
        }
        Object task = request.parameters().get("task");
        Duration own = timeout(request.parameters().get("timeout_ms"));
        if (task == null) {
            throw new InvalidInputException("the request parameter 'task' is required (a task name of model '"
                    + modelName + "')");
        }
        if (!(task instanceof String)) {
            throw new InvalidInputException("the request parameter 'task' must be a string, found " + task);
        }
        List<OipRequest.Input> inputs = request.inputs();
        if (inputs.size() != 1 || !IMAGE.equals(inputs.get(0).name())) {
            throw new InvalidInputException("expected exactly one input named 'image', found "
                    + inputs.stream().map(i -> "'" + i.name() + "'").toList());
        }
        OipRequest.Input image = inputs.get(0);
        return new PredictionRequest(modelName, List.of((String) task), new LinkedHashSet<>(request.outputs()),
                timeout.apply(own), limits -> image(image, limits));
    }

    private static Duration timeout(Object timeoutMs) {
        if (timeoutMs == null) {
            return null;
        }
        if (!(timeoutMs instanceof Long)) {
            throw new InvalidInputException("the request parameter 'timeout_ms' must be an integer, found " + timeoutMs);
        }
        return Duration.ofMillis((Long) timeoutMs);
    }

    /**
     * Turns the image input into an image batch (SPEC §5): BYTES (N) of encoded PNG/JPEG files,
     * decoded within the limits; FP32 (N, 3, h, w); or UINT8 (N, h, w, 3).
     */
    private static ImageBatch image(OipRequest.Input input, ImageLimits limits) {
        String datatype = input.datatype();
        if ("BYTES".equals(datatype)) {
            if (input.shape().length != 1 || input.shape()[0] != input.count() || input.count() < 1) {
                throw new InvalidInputException("input 'image' BYTES must have shape (N) with N ≥ 1 encoded files; "
                        + "found shape " + Arrays.toString(input.shape()) + " with " + input.count() + " elements");
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
            throw new InvalidInputException("input 'image' of shape " + Arrays.toString(input.shape())
                    + " needs " + expected + " values, found " + found);
        }
        return "UINT8".equals(datatype)
                ? ImageTensors.fromUint8(input.shape(), input.bytes())
                : ImageTensors.fromFp32(input.shape(), input.floats());
    }
}
