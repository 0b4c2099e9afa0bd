package dev.sinewich.serve.serving;

import dev.sinewich.serve.bundle.SinewichConfig;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What a caller asks of the server, whatever API it came by: each API maps its wire format to this
 * and hands it to {@link Predictor#submit}.
 *
 * @param model the model name the caller addressed
 * @param tasks the task names in the order wanted, or {@code null} for every task the model serves
 * @param outputs wanted output names; empty for each task's defaults
 * @param timeout how long the caller will wait from acceptance, or {@code null} for the server's
 *     default ({@code sinewich.inference.timeout})
 * @param images the request's images, read after the model and tasks are checked
 * @param taskCheck the API's own check of the resolved tasks before any image is read (such as
 *     whether its answer format can show them); throws to refuse the request
 */
public record PredictionRequest(String model, List<String> tasks, Set<String> outputs, Duration timeout,
        ImageSource images, Consumer<List<SinewichConfig.Task>> taskCheck) {

    /** Checks and copies the fields. */
    public PredictionRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(images, "images");
        tasks = tasks == null ? null : List.copyOf(tasks);
        outputs = outputs == null ? Set.of() : Set.copyOf(outputs);
        taskCheck = taskCheck == null ? t -> { } : taskCheck;
    }

    /**
     * A request with no check of its own.
     *
     * @param model the model name
     * @param tasks the task names, or {@code null} for every task
     * @param outputs wanted output names
     * @param timeout how long the caller will wait, or {@code null} for the default
     * @param images the images
     */
    public PredictionRequest(String model, List<String> tasks, Set<String> outputs, Duration timeout,
            ImageSource images) {
        this(model, tasks, outputs, timeout, images, null);
    }
}
