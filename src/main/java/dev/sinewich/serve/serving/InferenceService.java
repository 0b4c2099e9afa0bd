package dev.sinewich.serve.serving;

import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.OutputTensor;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs forward passes on a fixed set of worker threads behind a bounded queue: a request that finds
 * the queue full is refused at once with {@link CapacityExceededException} rather than waiting, and
 * an accepted request that runs past the timeout completes with {@link DeadlineExceededException}.
 * Knows nothing of HTTP or gRPC. Thread-safe.
 */
@ApplicationScoped
public class InferenceService {

    private final ModelService models;
    private final ServingConfig.Inference settings;
    private final ThreadPoolExecutor workers;

    /**
     * Creates the service.
     *
     * @param models the served model
     * @param config the server settings
     */
    public InferenceService(ModelService models, ServingConfig config) {
        this.models = models;
        this.settings = config.inference();
        AtomicInteger ids = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(settings.workers(), settings.workers(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(settings.queueCapacity()), r -> {
                    Thread t = new Thread(r, "sinewich-inference-" + ids.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Schedules a forward pass.
     *
     * @param modelName the model named by the request
     * @param images the images
     * @param task the task name
     * @param outputs the wanted output names (empty: the defaults)
     * @return the outputs, or an exceptional completion with {@link DeadlineExceededException} or the
     *     model's {@link dev.sinewich.serve.model.InvalidInputException}
     * @throws ModelNotFoundException for another model name
     * @throws CapacityExceededException when the queue is full
     */
    public CompletableFuture<List<OutputTensor>> submit(String modelName, ImageBatch images, String task,
            Set<String> outputs) {
        var model = models.model(modelName);
        model.frequencies(task); // an unknown task fails here, before it takes a queue slot
        CompletableFuture<List<OutputTensor>> result;
        try {
            result = CompletableFuture.supplyAsync(() -> model.predict(images, task, outputs), workers);
        } catch (RejectedExecutionException e) {
            throw new CapacityExceededException("the inference queue is full (" + settings.queueCapacity()
                    + " waiting); retry later");
        }
        long millis = settings.timeout().toMillis();
        return result.orTimeout(millis, TimeUnit.MILLISECONDS).exceptionally(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof TimeoutException) {
                throw new DeadlineExceededException("inference did not finish within " + millis + " ms");
            }
            throw cause instanceof RuntimeException ? (RuntimeException) cause : new CompletionException(cause);
        });
    }

    void onStop(@Observes @Priority(Interceptor.Priority.APPLICATION) ShutdownEvent event)
            throws InterruptedException {
        // finish what was accepted before the model is closed
        workers.shutdown();
        workers.awaitTermination(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
    }
}
