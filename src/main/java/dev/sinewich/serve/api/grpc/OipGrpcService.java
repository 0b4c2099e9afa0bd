package dev.sinewich.serve.api.grpc;

import dev.sinewich.serve.api.Async;
import dev.sinewich.serve.api.Observed;
import dev.sinewich.serve.api.ServerVersion;
import dev.sinewich.serve.api.grpc.oip.GRPCInferenceService;
import dev.sinewich.serve.api.grpc.oip.ModelInferRequest;
import dev.sinewich.serve.api.grpc.oip.ModelInferResponse;
import dev.sinewich.serve.api.grpc.oip.ModelMetadataRequest;
import dev.sinewich.serve.api.grpc.oip.ModelMetadataResponse;
import dev.sinewich.serve.api.grpc.oip.ModelReadyRequest;
import dev.sinewich.serve.api.grpc.oip.ModelReadyResponse;
import dev.sinewich.serve.api.grpc.oip.ModelRepositoryParameter;
import dev.sinewich.serve.api.grpc.oip.RepositoryIndexRequest;
import dev.sinewich.serve.api.grpc.oip.RepositoryIndexResponse;
import dev.sinewich.serve.api.grpc.oip.RepositoryModelLoadRequest;
import dev.sinewich.serve.api.grpc.oip.RepositoryModelLoadResponse;
import dev.sinewich.serve.api.grpc.oip.RepositoryModelUnloadRequest;
import dev.sinewich.serve.api.grpc.oip.RepositoryModelUnloadResponse;
import dev.sinewich.serve.api.grpc.oip.ServerLiveRequest;
import dev.sinewich.serve.api.grpc.oip.ServerLiveResponse;
import dev.sinewich.serve.api.grpc.oip.ServerMetadataRequest;
import dev.sinewich.serve.api.grpc.oip.ServerMetadataResponse;
import dev.sinewich.serve.api.grpc.oip.ServerReadyRequest;
import dev.sinewich.serve.api.grpc.oip.ServerReadyResponse;
import dev.sinewich.serve.api.oip.OipRequest;
import dev.sinewich.serve.api.oip.RepositoryParameters;
import dev.sinewich.serve.api.oip.ModelMetadata;
import dev.sinewich.serve.api.oip.OipRequests;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.metrics.ServerMetrics;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.security.ApiKeys;
import dev.sinewich.serve.serving.Accepted;
import dev.sinewich.serve.serving.InferenceService;
import dev.sinewich.serve.serving.ModelService;
import dev.sinewich.serve.serving.Predictor;
import dev.sinewich.serve.serving.ServingConfig;
import io.grpc.Context;
import io.grpc.Deadline;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import java.time.Duration;
import java.util.Map;

/**
 * The Open Inference Protocol gRPC service {@code inference.GRPCInferenceService}. A gRPC deadline
 * sooner than the request's own timeout becomes its timeout; a cancelled call cancels its request. Failures become status
 * codes as {@link dev.sinewich.serve.api.Failure} decides.
 */
@GrpcService
public class OipGrpcService implements GRPCInferenceService {

    private final ModelService models;
    private final InferenceService service;
    private final Predictor predictor;
    private final ServerMetrics metrics;
    private final Duration defaultTimeout;
    private final ApiKeys keys;

    /**
     * Creates the service.
     *
     * @param models the served model
     * @param service the scheduler's owner (readiness)
     * @param predictor the way in for inference requests
     * @param metrics the meters
     * @param config the server settings (default timeout)
     * @param keys the key checker (whether the admin API, and with it the repository API, is on)
     */
    public OipGrpcService(ModelService models, InferenceService service, Predictor predictor, ServerMetrics metrics,
            ServingConfig config, ApiKeys keys) {
        this.keys = keys;
        this.models = models;
        this.service = service;
        this.predictor = predictor;
        this.metrics = metrics;
        this.defaultTimeout = config.inference().timeout();
    }

    @Override
    public Uni<ServerLiveResponse> serverLive(ServerLiveRequest request) {
        return Uni.createFrom().item(ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public Uni<ServerReadyResponse> serverReady(ServerReadyRequest request) {
        return Uni.createFrom().item(ServerReadyResponse.newBuilder().setReady(service.ready()).build());
    }

    @Override
    public Uni<ModelReadyResponse> modelReady(ModelReadyRequest request) {
        return GrpcErrors.guard(() -> {
            models.model(request.getName());
            return ModelReadyResponse.newBuilder().setReady(service.ready()).build();
        });
    }

    @Override
    public Uni<ServerMetadataResponse> serverMetadata(ServerMetadataRequest request) {
        return Uni.createFrom().item(ServerMetadataResponse.newBuilder().setName("sinewich-serve")
                .setVersion(ServerVersion.get()).addAllExtensions(
                        ServerVersion.extensions(keys, models)).build());
    }

    @Override
    public Uni<ModelMetadataResponse> modelMetadata(ModelMetadataRequest request) {
        return GrpcErrors.guard(() -> {
            var model = models.model(request.getName());
            ModelMetadata m = ModelMetadata.of(model.config(), model.tasks(), model.engine());
            ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(m.name())
                    .addAllVersions(m.versions()).setPlatform(m.platform());
            m.inputs().forEach(t -> b.addInputs(tensor(t)));
            m.outputs().forEach(t -> b.addOutputs(tensor(t)));
            return b.build();
        });
    }

    private static ModelMetadataResponse.TensorMetadata tensor(ModelMetadata.TensorMetadata t) {
        return ModelMetadataResponse.TensorMetadata.newBuilder().setName(t.name()).setDatatype(t.datatype())
                .addAllShape(t.shape()).build();
    }

    @Override
    public Uni<ModelInferResponse> modelInfer(ModelInferRequest request) {
        // observed inside the status mapping, so that metrics see the failure's cause, not its status
        // parsing raw tensors and decoding images runs on a worker thread, not the event loop
        return CallCancellation.boundToCall(Uni.createFrom().voidItem()
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(() -> GrpcErrors.guardUni(() -> Observed.call(metrics, service.budget(), "grpc_oip",
                        call -> infer(request, call)))));
    }

    @Override
    public Uni<RepositoryIndexResponse> repositoryIndex(RepositoryIndexRequest request) {
        return GrpcErrors.guardBlocking(() -> {
            RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
            models.index(request.getReady()).forEach(m -> {
                RepositoryIndexResponse.ModelIndex.Builder e = RepositoryIndexResponse.ModelIndex.newBuilder()
                        .setName(m.name()).setState(m.state().name());
                if (m.reason() != null) {
                    e.setReason(m.reason());
                }
                b.addModels(e);
            });
            return b.build();
        });
    }

    @Override
    public Uni<RepositoryModelLoadResponse> repositoryModelLoad(RepositoryModelLoadRequest request) {
        return GrpcErrors.guardBlocking(() -> {
            parameters(request.getParametersMap(), false);
            models.load(request.getModelName());
            return RepositoryModelLoadResponse.getDefaultInstance();
        });
    }

    @Override
    public Uni<RepositoryModelUnloadResponse> repositoryModelUnload(RepositoryModelUnloadRequest request) {
        return GrpcErrors.guardBlocking(() -> {
            parameters(request.getParametersMap(), true);
            models.unload(request.getModelName());
            return RepositoryModelUnloadResponse.getDefaultInstance();
        });
    }

    private static void parameters(Map<String, ModelRepositoryParameter> parameters, boolean unload) {
        parameters.forEach((name, value) -> RepositoryParameters.check(name,
                value.getParameterChoiceCase() == ModelRepositoryParameter.ParameterChoiceCase.BOOL_PARAM, unload));
    }

    private Uni<ModelInferResponse> infer(ModelInferRequest request, Observed.Call call) {
        call.lease().reserve(request.getSerializedSize(), "the request message");
        OipRequest parsed = OipGrpcMapper.request(request);
        Deadline callDeadline = Context.current().getDeadline();
        // the call's gRPC deadline, when it is sooner than the request's own timeout, becomes its timeout
        Accepted accepted = predictor.submit(OipRequests.prediction(request.getModelName(), parsed,
                own -> CallDeadlines.sooner(own, defaultTimeout, callDeadline)), call);
        SinewichConfig config = accepted.config();
        String task = accepted.tasks().get(0).name();
        return Async.uni(accepted.result()).map(result -> OipGrpcMapper.response(
                config.name(), config.version(), parsed.id(), task, result.outputs().get(task)));
    }
}
