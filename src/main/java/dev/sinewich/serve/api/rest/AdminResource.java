package dev.sinewich.serve.api.rest;

import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TaskFile;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.model.SinewichModel;
import dev.sinewich.serve.serving.ModelService;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Admin endpoints: replace or unload the served bundle, add or remove a task. Absent unless
 * enabled, and then only with an admin key (see {@link dev.sinewich.serve.security.ApiKeyFilter}).
 * A failed change leaves the server serving exactly what it served before.
 */
@Path("/admin")
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    private final ModelService models;

    /**
     * Creates the resource.
     *
     * @param models the served model
     */
    public AdminResource(ModelService models) {
        this.models = models;
    }

    /** The body of a model replacement. */
    public record LoadRequest(String path) {}

    /**
     * Loads a bundle from a path on the server and serves it in place of the current model.
     *
     * @param request the bundle path
     * @return the new model's summary
     */
    @PUT
    @Path("model")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> load(LoadRequest request) {
        if (request == null || request.path() == null || request.path().isBlank()) {
            throw new InvalidInputException("the body must be {\"path\": \"<bundle directory or zip on the server>\"}");
        }
        models.replace(request.path());
        return summary(models.model());
    }

    /**
     * Stops serving the model.
     *
     * @return 204
     */
    @DELETE
    @Path("model")
    public Response unload() {
        models.unload();
        return Response.noContent().build();
    }

    /**
     * Adds a task from a task file (see docs/TASKS.md) sent as the body.
     *
     * @param name the model name
     * @param file the safetensors task file
     * @return 201 with the model's tasks
     */
    @POST
    @Path("models/{name}/tasks")
    @Consumes(MediaType.WILDCARD)
    public Response addTask(@PathParam("name") String name, byte[] file) {
        SinewichModel model = models.model(name);
        if (file == null || file.length == 0) {
            throw new InvalidInputException("the body must be a sinewich-task/v1 safetensors file");
        }
        java.nio.file.Path temp = null;
        try {
            temp = Files.createTempFile("sinewich-task-", ".safetensors");
            Files.write(temp, file);
            try (TaskFile task = TaskFile.open(temp, model.config(), model.hasClockNet())) {
                model.addTask(task);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (temp != null) {
                temp.toFile().delete();
            }
        }
        return Response.status(201).entity(summary(model)).build();
    }

    /**
     * Removes a task; requests already running with it finish.
     *
     * @param name the model name
     * @param task the task name
     * @return the model's remaining tasks
     */
    @DELETE
    @Path("models/{name}/tasks/{task}")
    public Map<String, Object> removeTask(@PathParam("name") String name, @PathParam("task") String task) {
        SinewichModel model = models.model(name);
        model.removeTask(task);
        return summary(model);
    }

    private static Map<String, Object> summary(SinewichModel model) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", model.config().name());
        m.put("version", model.config().version());
        m.put("tasks", model.tasks().stream().map(SinewichConfig.Task::name).toList());
        return m;
    }
}
