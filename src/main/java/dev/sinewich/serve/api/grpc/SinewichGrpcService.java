package dev.sinewich.serve.api.grpc;

import dev.sinewich.serve.api.Async;
import dev.sinewich.serve.api.Observed;
import dev.sinewich.serve.api.grpc.v1.GetModelRequest;
import dev.sinewich.serve.api.grpc.v1.ListModelsRequest;
import dev.sinewich.serve.api.grpc.v1.ListModelsResponse;
import dev.sinewich.serve.api.grpc.v1.ModelInfo;
import dev.sinewich.serve.api.grpc.v1.PredictRequest;
import dev.sinewich.serve.api.grpc.v1.PredictResponse;
import dev.sinewich.serve.api.grpc.v1.SinewichService;
import dev.sinewich.serve.metrics.ServerMetrics;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.serving.CapacityExceededException;
import dev.sinewich.serve.serving.Accepted;
import dev.sinewich.serve.serving.InferenceService;
import dev.sinewich.serve.serving.ModelService;
import dev.sinewich.serve.serving.PredictionRequest;
import dev.sinewich.serve.serving.Predictor;
import dev.sinewich.serve.serving.ServingConfig;
import dev.sinewich.serve.serving.RequestTooLargeException;
import dev.sinewich.serve.serving.TensorBudget;
import io.grpc.Context;
import io.grpc.Deadline;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.BackPressureFailure;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The typed gRPC service {@code sinewich.v1.SinewichService}: model descriptions, one image through
 * several tasks, and a stream of frames answered in order. Each request is mapped to the server's
 * {@link PredictionRequest} and goes through the same {@link Predictor} as every other API. Images
 * are decoded on a worker thread, not the gRPC event loop. A gRPC deadline makes the request's
 * timeout sooner; a cancelled call cancels its request. Failures
 * become status codes (or, in a stream, a frame's error) as {@link dev.sinewich.serve.api.Failure}
 * decides. Thread-safe.
 */
@GrpcService
public class SinewichGrpcService implements SinewichService {

    /** Frames a stream may have waiting behind the one in progress before the stream is ended. */
    static final int MAX_WAITING_FRAMES = 8;

    private static final String API = "grpc_native";

    private final ModelService models;
    private final InferenceService inference;
    private final Predictor predictor;
    private final ServerMetrics metrics;
    private final Duration defaultTimeout;

    /**
     * Creates the service.
     *
     * @param models the served model
     * @param inference the scheduler's owner (the memory budget of waiting stream frames)
     * @param predictor the way in for inference requests
     * @param metrics the meters
     * @param config the server settings (default timeout)
     */
    public SinewichGrpcService(ModelService models, InferenceService inference, Predictor predictor,
            ServerMetrics metrics, ServingConfig config) {
        this.models = models;
        this.inference = inference;
        this.predictor = predictor;
        this.metrics = metrics;
        this.defaultTimeout = config.inference().timeout();
    }

    @Override
    public Uni<ListModelsResponse> listModels(ListModelsRequest request) {
        return GrpcErrors.guard(() -> ListModelsResponse.newBuilder().addModels(ModelInfoMapper.info(models.model()))
                .build());
    }

    @Override
    public Uni<ModelInfo> getModel(GetModelRequest request) {
        return GrpcErrors.guard(() -> ModelInfoMapper.info(models.model(required(request.getName(), "name"))));
    }

    @Override
    public Uni<PredictResponse> predict(PredictRequest request) {
        Deadline call = Context.current().getDeadline();
        return CallCancellation.boundToCall(GrpcErrors.guardUni(() -> predictOne(request, request.getModelName(), 0,
                call, lease -> lease.reserve(request.getSerializedSize(), "the request message"))));
    }

    @Override
    public Multi<PredictResponse> predictStream(Multi<PredictRequest> frames) {
        // the stream's deadline, read now: frames arrive on threads that do not carry the call's context
        Deadline call = Context.current().getDeadline();
        StreamState stream = new StreamState();
        // frames that arrived and wait their turn hold memory too: counted in the budget from arrival
        TensorBudget.Lease waiting = inference.budget().lease();
        return frames.map(frame -> Waiting.arrived(frame, inference.budget(), waiting))
                .onOverflow().buffer(MAX_WAITING_FRAMES)
                .onItem().transformToUniAndConcatenate(next -> {
                    long sequence = stream.next();
                    PredictRequest frame = next.frame();
                    // a frame for another model fails the stream, whose end gives every waiting byte back
                    String model = stream.model(frame.getModelName(), sequence);
                    Uni<PredictResponse> answer = next.refusal() != null ? Uni.createFrom().failure(next.refusal())
                            : predictOne(frame, model, sequence, call, lease -> next.handOver(waiting, lease));
                    return answer.onTermination().invoke(() -> next.giveBack(waiting)).onFailure().recoverWithItem(
                            failure -> PredictMapper.error(model, frame, sequence, GrpcErrors.describe(failure)));
                })
                .onFailure(BackPressureFailure.class).transform(e -> new CapacityExceededException("more than "
                        + MAX_WAITING_FRAMES + " frames were waiting unanswered in this stream; read answers "
                        + "before sending more (at most " + MAX_WAITING_FRAMES + " ahead)"))
                .onFailure().transform(GrpcErrors::toStatus)
                .onTermination().invoke(waiting::close);
    }

    /**
     * A stream frame waiting its turn: the frame and the bytes reserved for it, or, when the memory
     * budget had no room at its arrival, only its model name and id and the refusal to answer with
     * (so that a refused frame does not keep its images in memory while it waits).
     */
    private record Waiting(PredictRequest frame, long bytes, RuntimeException refusal, AtomicBoolean settled) {

        static Waiting arrived(PredictRequest frame, TensorBudget budget, TensorBudget.Lease waiting) {
            long size = frame.getSerializedSize();
            try {
                try {
                    waiting.reserve(size, "a stream frame waiting its turn");
                } catch (RequestTooLargeException e) {
                    if (size > budget.limit()) {
                        throw e;
                    }
                    // it fits alone: the frames waiting ahead of it hold the rest, so it is a matter of time
                    throw new CapacityExceededException("the frames waiting in this stream hold " + waiting.held()
                            + " bytes and this one needs " + size + " more of the " + budget.limit()
                            + " all requests in flight may hold (sinewich.limits.max-inflight-tensor-bytes); "
                            + "read answers before sending more, or retry later");
                }
                return new Waiting(frame, size, null, new AtomicBoolean());
            } catch (RuntimeException e) {
                return new Waiting(PredictRequest.newBuilder().setModelName(frame.getModelName())
                        .setId(frame.getId()).build(), 0, e, new AtomicBoolean());
            }
        }

        /** Moves the frame's bytes from the stream's waiting lease to its request's lease, once. */
        void handOver(TensorBudget.Lease waiting, TensorBudget.Lease request) {
            if (settled.compareAndSet(false, true)) {
                waiting.handOver(bytes, request);
            }
        }

        /** Gives the frame's bytes back if its request never took them (it ended before). */
        void giveBack(TensorBudget.Lease waiting) {
            if (settled.compareAndSet(false, true)) {
                waiting.release(bytes);
            }
        }
    }

    /** One request, timed and counted once, failing with the raw cause (callers map it). */
    private Uni<PredictResponse> predictOne(PredictRequest request, String modelName, long sequence, Deadline call,
            Consumer<TensorBudget.Lease> message) {
        return Observed.call(metrics, inference.budget(), API, observed -> Uni.createFrom()
                .item(() -> accept(request, modelName, call, observed, message))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(accepted -> Async.uni(accepted.result())
                        .map(result -> PredictMapper.response(accepted.config(), accepted.tasks(), request, sequence,
                                result))));
    }

    /**
     * Maps a request to the server's and submits it; {@code message} puts the request message's
     * bytes into its lease first (reserved, or handed over from a stream's waiting frames).
     */
    private Accepted accept(PredictRequest request, String modelName, Deadline call, Observed.Call observed,
            Consumer<TensorBudget.Lease> message) {
        message.accept(observed.lease());
        long timeoutMs = Integer.toUnsignedLong(request.getTimeoutMs());
        Duration own = timeoutMs == 0 ? null : Duration.ofMillis(timeoutMs);
        // no task named means every task the model serves
        List<String> tasks = request.getTasksCount() == 0 ? null : request.getTasksList();
        return predictor.submit(new PredictionRequest(required(modelName, "model_name"), tasks,
                new LinkedHashSet<>(request.getOutputsList()), CallDeadlines.sooner(own, defaultTimeout, call),
                PredictMapper.image(request)), observed);
    }

    private static String required(String value, String field) {
        if (value.isEmpty()) {
            throw new InvalidInputException(field + " is required; ListModels names the served models");
        }
        return value;
    }

    /**
     * A stream's frame count and the model it is bound to: the first model named; later frames may
     * leave the name empty, and naming another model ends the stream. Frames are handled one at a
     * time, on whichever thread delivers them, hence the atomic and volatile fields.
     */
    private static final class StreamState {
        private final AtomicLong frames = new AtomicLong();
        private volatile String model = "";

        long next() {
            return frames.getAndIncrement();
        }

        String model(String named, long sequence) {
            if (model.isEmpty()) {
                model = named;
                return named;
            }
            if (named.isEmpty() || named.equals(model)) {
                return model;
            }
            throw new InvalidInputException("frame " + sequence + " names model '" + named
                    + "' but this stream is for '" + model + "'; open one stream per model");
        }
    }
}
