package dev.sinewich.serve.api.rest;

import dev.sinewich.serve.api.oip.OipRequest;
import dev.sinewich.serve.api.oip.ModelMetadata;
import dev.sinewich.serve.api.oip.OipRequests;
import dev.sinewich.serve.api.oip.OipJsonReader;
import dev.sinewich.serve.api.oip.OipJsonWriter;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.metrics.ServerMetrics;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.serving.Accepted;
import dev.sinewich.serve.serving.InferenceService;
import dev.sinewich.serve.serving.ModelService;
import dev.sinewich.serve.serving.Predictor;
import dev.sinewich.serve.security.ApiKeys;
import dev.sinewich.serve.api.Async;
import dev.sinewich.serve.api.Observed;
import dev.sinewich.serve.api.ServerVersion;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The Open Inference Protocol (KServe v2) REST endpoints: server and model health and metadata,
 * and inference with JSON tensors. The served bundle is one model, named after the bundle unless
 * the server was given a name ({@code sinewich.model.name}, a repository entry's name); the task is
 * the request parameter {@code task}.
 */
@Path("/v2")
@Produces(MediaType.APPLICATION_JSON)
public class OipResource {

    /** The binary tensor data extension's header: the length of the JSON part of the body. */
    static final String HEADER_LENGTH = "Inference-Header-Content-Length";

    private final ModelService models;
    private final Predictor predictor;
    private final ServerMetrics metrics;
    private final InferenceService service;
    private final ApiKeys keys;

    /**
     * Creates the resource.
     *
     * @param models the served model
     * @param predictor the way in for inference requests
     * @param metrics the meters
     * @param service the scheduler's owner
     * @param keys the key checker (whether the admin API, and with it the repository API, is on)
     */
    public OipResource(ModelService models, Predictor predictor, ServerMetrics metrics, InferenceService service,
            ApiKeys keys) {
        this.keys = keys;
        this.models = models;
        this.predictor = predictor;
        this.metrics = metrics;
        this.service = service;
    }

    /**
     * Server metadata.
     *
     * @return name, version and extensions
     */
    @GET
    public Map<String, Object> server() {
        return Map.of("name", "sinewich-serve", "version", ServerVersion.get(), "extensions",
                ServerVersion.extensions(keys, models));
    }

    /**
     * Server liveness: the process answers.
     *
     * @return {@code {"live": true}}
     */
    @GET
    @Path("health/live")
    public Map<String, Object> live() {
        return Map.of("live", true);
    }

    /**
     * Server readiness: 200 while a model is loaded and requests are accepted, else 503.
     *
     * @return the readiness response
     */
    @GET
    @Path("health/ready")
    public Response ready() {
        return readiness(Map.of("ready", service.ready()), service.ready());
    }

    /**
     * The model index, as KServe serves it: the names of the served models.
     *
     * @return {@code {"models": [...]}}
     */
    @GET
    @Path("models")
    public Map<String, Object> index() {
        return Map.of("models", models.isReady() ? List.of(models.model().config().name()) : List.of());
    }

    /**
     * Model metadata.
     *
     * @param name the model name
     * @return inputs, outputs and tasks
     */
    @GET
    @Path("models/{name}")
    public ModelMetadata model(@PathParam("name") String name) {
        var model = models.model(name);
        return ModelMetadata.of(model.config(), model.tasks(), model.engine());
    }

    /**
     * Model readiness.
     *
     * @param name the model name
     * @return {@code {"name": ..., "ready": true}}, or 503 with {@code "ready": false} while the
     *     server drains
     */
    @GET
    @Path("models/{name}/ready")
    public Response modelReady(@PathParam("name") String name) {
        boolean ready = service.ready();
        return readiness(Map.of("name", models.model(name).config().name(), "ready", ready), ready);
    }

    /** 200 when ready, else 503 with {@code Retry-After}, as the protocol's health calls expect. */
    private static Response readiness(Map<String, Object> body, boolean ready) {
        Response.ResponseBuilder b = Response.status(ready ? 200 : 503).entity(body);
        return ready ? b.build() : b.header("Retry-After", "1").build();
    }

    /**
     * Runs inference.
     *
     * @param name the model name
     * @param headerLength the binary data extension's JSON header length, if the body has binary data
     * @param body the JSON request
     * @param routing the HTTP exchange (its memory lease is given back once the answer is written)
     * @return the JSON response once the forward pass is done
     */
    @POST
    @Blocking // parsing JSON tensors and decoding images must not run on the event loop
    @Path("models/{name}/infer")
    @Consumes(MediaType.WILDCARD)
    public Uni<Response> infer(@PathParam("name") String name,
            @HeaderParam(HEADER_LENGTH) String headerLength, byte[] body, @Context RoutingContext routing) {
        return Observed.call(metrics, service.budget(), "rest_oip", Answered.on(routing),
                call -> infer(name, headerLength, body, call));
    }

    private Uni<Response> infer(String name, String headerLength, byte[] body, Observed.Call call) {
        OipRequest request = OipJsonReader.read(body, parseLength(headerLength));
        call.lease().outputsAsText(request.hasTextOutputs());
        Accepted accepted = predictor.submit(OipRequests.prediction(name, request, UnaryOperator.identity()), call);
        SinewichConfig config = accepted.config();
        String task = accepted.tasks().get(0).name();
        return Async.uni(accepted.result()).map(result -> {
            OipJsonWriter.Encoded encoded = OipJsonWriter.response(config.name(), config.version(), request, task,
                    result.outputs().get(task));
            if (!encoded.binary()) {
                return Response.ok(encoded.body(), MediaType.APPLICATION_JSON_TYPE).build();
            }
            return Response.ok(encoded.body(), MediaType.APPLICATION_OCTET_STREAM_TYPE)
                    .header(HEADER_LENGTH, encoded.jsonLength()).build();
        });
    }

    private static int parseLength(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Integer.parseInt(header.trim());
        } catch (NumberFormatException e) {
            throw new InvalidInputException(HEADER_LENGTH + " must be an integer, found '" + header + "'");
        }
    }
}
