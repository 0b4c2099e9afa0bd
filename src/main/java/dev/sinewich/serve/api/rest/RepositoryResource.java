package dev.sinewich.serve.api.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinewich.serve.api.oip.RepositoryParameters;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.serving.ModelService;
import dev.sinewich.serve.serving.RepositoryModel;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Open Inference Protocol's model repository extension over REST: the index of the configured
 * repository ({@code sinewich.model.repository}) and loading or unloading a model by name. Guarded
 * like {@code /admin} (see {@link dev.sinewich.serve.security.ApiKeyFilter}); a load goes through
 * the same {@link ModelService} path and checks as {@code PUT /admin/model}.
 */
@Path("/v2/repository")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class RepositoryResource {

    private final ModelService models;
    private final ObjectMapper json;

    /**
     * Creates the resource.
     *
     * @param models the served model
     * @param json the JSON reader
     */
    public RepositoryResource(ModelService models, ObjectMapper json) {
        this.models = models;
        this.json = json;
    }

    /**
     * Lists the repository's models: {@code [{"name", "state", "reason"?}]}.
     *
     * @param body optional {@code {"ready": true|false}}: true lists only the ready ones
     * @return the index
     */
    @POST
    @Path("index")
    public List<Map<String, Object>> index(String body) {
        JsonNode request = object(body, "ready");
        JsonNode ready = request.get("ready");
        if (ready != null && !ready.isBoolean()) {
            throw new InvalidInputException("\"ready\" must be true or false, found " + ready);
        }
        return models.index(ready != null && ready.booleanValue()).stream().map(RepositoryResource::entry).toList();
    }

    /**
     * Loads the model of that name from the repository and serves it in place of the current one.
     *
     * @param name the model name: the folder {@code <name>} or the zip {@code <name>.zip} in the repository
     * @param body optional {@code {"parameters": {}}}; no load parameters are supported
     * @return {@code {"name", "state": "READY"}}
     */
    @POST
    @Path("models/{name}/load")
    public Map<String, Object> load(@PathParam("name") String name, String body) {
        parameters(object(body, "parameters"), false);
        models.load(name);
        return Map.of("name", name, "state", RepositoryModel.State.READY.name());
    }

    /**
     * Stops serving the model of that name.
     *
     * @param name the served model's name
     * @param body optional {@code {"parameters": {"unload_dependents": true|false}}}: Triton's
     *     clients always send it; a model here has no dependents, so it changes nothing
     * @return {@code {"name", "state": "UNAVAILABLE"}}
     */
    @POST
    @Path("models/{name}/unload")
    public Map<String, Object> unload(@PathParam("name") String name, String body) {
        parameters(object(body, "parameters"), true);
        models.unload(name);
        return Map.of("name", name, "state", RepositoryModel.State.UNAVAILABLE.name());
    }

    private static Map<String, Object> entry(RepositoryModel m) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", m.name());
        e.put("state", m.state().name());
        if (m.reason() != null) {
            e.put("reason", m.reason());
        }
        return e;
    }

    /** Reads an optional JSON object body that may hold only the given key. */
    private JsonNode object(String body, String allowed) {
        if (body == null || body.isBlank()) {
            return json.createObjectNode();
        }
        JsonNode node;
        try {
            node = json.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("the body must be a JSON object: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new InvalidInputException("the body must be a JSON object, e.g. {\"" + allowed + "\": ...}");
        }
        node.fieldNames().forEachRemaining(field -> {
            if (!field.equals(allowed)) {
                throw new InvalidInputException("unknown field '" + field + "'; the body may hold only \""
                        + allowed + "\"");
            }
        });
        return node;
    }

    private static void parameters(JsonNode request, boolean unload) {
        JsonNode parameters = request.get("parameters");
        if (parameters == null) {
            return;
        }
        if (!parameters.isObject()) {
            throw new InvalidInputException("\"parameters\" must be an object, found " + parameters);
        }
        parameters.fields().forEachRemaining(p -> RepositoryParameters.check(p.getKey(), p.getValue().isBoolean(),
                unload));
    }
}
