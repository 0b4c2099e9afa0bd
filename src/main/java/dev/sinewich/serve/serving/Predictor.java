package dev.sinewich.serve.serving;

import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.imaging.ImageLimits;
import dev.sinewich.serve.model.ForwardItem;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.model.SinewichModel;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The one way in for every API: a request is resolved against the served model and its tasks once,
 * its images are read within the server's image limits and memory budget, and it is queued for the
 * scheduler. Each API only maps its wire format to a {@link PredictionRequest} and the
 * {@link Accepted} result back. Thread-safe.
 */
@ApplicationScoped
public class Predictor {

    private final ModelService models;
    private final InferenceService inference;
    private final ImageLimits limits;

    /**
     * Creates the entry point.
     *
     * @param models the served model
     * @param inference the scheduler
     * @param config the server settings (image limits)
     */
    public Predictor(ModelService models, InferenceService inference, ServingConfig config) {
        this.models = models;
        this.inference = inference;
        this.limits = ImageLimits.of(config.limits().maxImagePixels(), config.limits().maxRequestPixels(),
                config.limits().maxImageBytes().asLongValue());
    }

    /**
     * Checks a request and queues it.
     *
     * @param request the request
     * @param handle the API's side of the request: its memory lease and task labels
     * @return the accepted request, whose result is still to come
     * @throws ModelNotFoundException for another model than the served one
     * @throws ModelUnavailableException when no model is loaded or the server is stopping
     * @throws InvalidInputException naming what is wrong: no task, an unknown task or output, a task
     *     named twice, the API's own check, the images or the timeout
     * @throws RequestTooLargeException when the images or outputs exceed the limits or the budget
     * @throws CapacityExceededException when the queue is full or the memory budget is taken
     */
    public Accepted submit(PredictionRequest request, RequestHandle handle) {
        SinewichModel model = models.model(request.model());
        List<SinewichConfig.Task> served = model.tasks();
        List<String> servedNames = served.stream().map(SinewichConfig.Task::name).toList();
        List<String> named = request.tasks() == null ? servedNames : request.tasks();
        handle.tasks(named, servedNames);
        List<SinewichConfig.Task> tasks = resolve(named, served);
        request.taskCheck().accept(tasks);
        ImageBatch images = request.images().read(limits.forRequest(handle.lease()::reserveImages));
        ForwardItem item = new ForwardItem(images, named, request.outputs());
        InferenceRequest queued = new InferenceRequest(request.model(), item, request.timeout(), handle.lease());
        return new Accepted(model.config(), tasks, images.height(), images.width(),
                inference.scheduler().submit(queued, model));
    }

    /** The named tasks in order, each once and each served. */
    private static List<SinewichConfig.Task> resolve(List<String> named, List<SinewichConfig.Task> served) {
        String known = served.stream().map(SinewichConfig.Task::name).collect(Collectors.joining(", "));
        if (named.isEmpty()) {
            throw new InvalidInputException("at least one task must be named; this model serves " + known);
        }
        List<SinewichConfig.Task> tasks = new ArrayList<>();
        for (String name : named) {
            SinewichConfig.Task task = served.stream().filter(t -> t.name().equals(name)).findFirst()
                    .orElseThrow(() -> new InvalidInputException("unknown task '" + name + "'; this model serves "
                            + known));
            if (tasks.contains(task)) {
                throw new InvalidInputException("task '" + name + "' is named more than once");
            }
            tasks.add(task);
        }
        return List.copyOf(tasks);
    }
}
