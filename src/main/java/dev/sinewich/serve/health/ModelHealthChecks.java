package dev.sinewich.serve.health;

import dev.sinewich.serve.serving.InferenceService;
import dev.sinewich.serve.serving.ModelService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * Kubernetes probes on {@code /q/health}: started once the model is loaded and warmed up; ready
 * while it is and the scheduler accepts work (not during shutdown); live by default.
 */
@ApplicationScoped
public class ModelHealthChecks {

    private final ModelService models;
    private final InferenceService inference;

    /**
     * Creates the checks.
     *
     * @param models the served model
     * @param inference the scheduler
     */
    public ModelHealthChecks(ModelService models, InferenceService inference) {
        this.models = models;
        this.inference = inference;
    }

    /**
     * The startup check: the model is loaded and warmed up.
     *
     * @return the check
     */
    @Produces
    @Startup
    HealthCheck modelLoaded() {
        return () -> HealthCheckResponse.named("model-loaded").status(models.isReady()).build();
    }

    /**
     * The readiness check: the model can serve and new requests are accepted.
     *
     * @return the check
     */
    @Produces
    @Readiness
    HealthCheck acceptingRequests() {
        return () -> {
            boolean loaded = models.isReady();
            var b = HealthCheckResponse.named("model-ready").status(inference.ready())
                    .withData("pending", inference.scheduler().pending());
            if (loaded) {
                b.withData("model", models.model().config().name());
            }
            return b.build();
        };
    }
}
