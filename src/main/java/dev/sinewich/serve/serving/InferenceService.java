package dev.sinewich.serve.serving;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import org.jboss.logging.Logger;

/**
 * The application's scheduler: built from the settings, started once the model is loaded, and shut
 * down before the model is closed so that every accepted request finishes. Thread-safe.
 */
@ApplicationScoped
public class InferenceService {

    private static final Logger LOG = Logger.getLogger(InferenceService.class);

    private final ModelService models;
    private final BatchScheduler scheduler;
    private final ServingConfig.Inference settings;
    private final Thread refuseOnSignal;
    private final TensorBudget budget;

    /**
     * Creates the service.
     *
     * @param models the served model
     * @param config the server settings
     */
    public InferenceService(ModelService models, ServingConfig config) {
        this.models = models;
        this.settings = config.inference();
        this.scheduler = new BatchScheduler(models::model, new SchedulerSettings(settings.workers(),
                settings.queueCapacity(), settings.maxBatchSize(), settings.maxDelay(), settings.timeout(),
                settings.maxTimeout(), config.limits().maxOutputValues()));
        this.budget = new TensorBudget(config.limits().maxInflightTensorBytes().asLongValue());
        this.refuseOnSignal = new Thread(scheduler::stopAccepting, "sinewich-refuse-on-shutdown");
    }

    /**
     * The one readiness rule of every surface ({@code /q/health/ready}, {@code /v2/health/ready},
     * OIP gRPC {@code ServerReady} and the model-ready calls): a model is loaded and new requests
     * are accepted (false from the first moment of a shutdown).
     *
     * @return true when a request sent now would be served
     */
    public boolean ready() {
        return models.isReady() && scheduler.accepting();
    }

    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION + 100) StartupEvent event) {
        scheduler.start();
        // Quarkus's HTTP graceful shutdown lets new requests in until none is in flight, and the
        // shutdown event comes only after that: under steady load new work would be accepted for the
        // whole grace period, and callers would meet closed connections at the end. This JVM hook runs
        // as soon as SIGTERM arrives, so that from then on new requests are refused with 503 /
        // UNAVAILABLE (and readiness goes down) while accepted ones finish.
        Runtime.getRuntime().addShutdownHook(refuseOnSignal);
    }

    /**
     * Holds the start of Quarkus's shutdown (its {@code quarkus.shutdown.delay} phase, while the
     * listeners still answer) until every accepted request has its result, at most the inference
     * timeout. New requests are refused meanwhile, so by the time the listeners close every caller
     * has had an answer and no connection is closed under a request the server took.
     */
    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) throws InterruptedException {
        scheduler.stopAccepting();
        long start = System.nanoTime();
        LOG.infof("Shutting down: new requests are refused; waiting for %d accepted requests", scheduler.unfinished());
        if (scheduler.awaitIdle(settings.timeout())) {
            LOG.infof("Every accepted request finished in %d ms", (System.nanoTime() - start) / 1_000_000);
        } else {
            LOG.warn("accepted requests were still unfinished when the shutdown delay gave up waiting for them");
        }
    }

    /**
     * Returns the memory budget of decoded images and outputs in flight; every request takes a
     * lease from it.
     *
     * @return the budget
     */
    public TensorBudget budget() {
        return budget;
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
        try {
            Runtime.getRuntime().removeShutdownHook(refuseOnSignal);
        } catch (IllegalStateException jvmShuttingDown) {
            // the hook has run or is running
        }
        if (!scheduler.shutdown(settings.timeout())) {
            LOG.warn("some accepted requests were still running when the shutdown grace period ended");
        }
    }
}
