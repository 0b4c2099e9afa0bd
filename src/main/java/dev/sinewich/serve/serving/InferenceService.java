package dev.sinewich.serve.serving;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.util.concurrent.CompletableFuture;
import org.jboss.logging.Logger;

/**
 * The application's scheduler: built from the settings, started once the model is loaded, and shut
 * down before the model is closed so that every accepted request finishes. Thread-safe.
 */
@ApplicationScoped
public class InferenceService {

    private static final Logger LOG = Logger.getLogger(InferenceService.class);

    private final BatchScheduler scheduler;
    private final ServingConfig.Inference settings;

    /**
     * Creates the service.
     *
     * @param models the served model
     * @param config the server settings
     */
    public InferenceService(ModelService models, ServingConfig config) {
        this.settings = config.inference();
        this.scheduler = new BatchScheduler(models::model, new SchedulerSettings(settings.workers(),
                settings.queueCapacity(), settings.maxBatchSize(), settings.maxDelay(), settings.timeout(),
                settings.maxTimeout()));
    }

    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION + 100) StartupEvent event) {
        scheduler.start();
    }

    /**
     * Accepts a request (see {@link BatchScheduler#submit}).
     *
     * @param request the request
     * @return the result
     */
    public CompletableFuture<InferenceResult> submit(InferenceRequest request) {
        return scheduler.submit(request);
    }

    /**
     * Returns the scheduler, for its counters and queue length.
     *
     * @return the scheduler
     */
    public BatchScheduler scheduler() {
        return scheduler;
    }

    void onStop(@Observes @Priority(Interceptor.Priority.APPLICATION) ShutdownEvent event)
            throws InterruptedException {
        if (!scheduler.shutdown(settings.timeout())) {
            LOG.warn("some accepted requests were still running when the shutdown grace period ended");
        }
    }
}
