package dev.sinewich.serve.api.rest.v1;

import dev.sinewich.serve.model.SinewichModel;
import dev.sinewich.serve.serving.ModelService;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.RestPath;

/** The native API's model listings: {@code GET /v1/models}, one model, and its tasks. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    private final ModelService models;

    /**
     * Creates the resource.
     *
     * @param models the served model
     */
    public ModelsResource(ModelService models) {
        this.models = models;
    }

    /**
     * Lists the served models (one per server).
     *
     * @return {@code {"models": [...]}}
     */
    @GET
    public Map<String, List<ModelSummary>> list() {
        return Map.of("models", List.of(ModelSummary.of(models.model())));
    }

    /**
     * Describes one model.
     *
     * @param model the model name
     * @return its details; 404 for an unknown name
     */
    @GET
    @Path("{model}")
    public ModelDetails model(@RestPath String model) {
        return ModelDetails.of(models.model(model));
    }

    /**
     * Describes the tasks a model serves now.
     *
     * @param model the model name
     * @return the model name and its tasks
     */
    @GET
    @Path("{model}/tasks")
    public Tasks tasks(@RestPath String model) {
        SinewichModel served = models.model(model);
        return new Tasks(served.config().name(), served.tasks().stream().map(t -> TaskInfo.of(served, t)).toList());
    }

    /**
     * A model's tasks.
     *
     * @param model the model name
     * @param tasks the tasks served now, the bundle's first
     */
    public record Tasks(String model, List<TaskInfo> tasks) {}
}
