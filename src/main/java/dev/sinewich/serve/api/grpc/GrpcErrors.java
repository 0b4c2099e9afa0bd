package dev.sinewich.serve.api.grpc;

import dev.sinewich.serve.api.Failure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/** Turns failures into gRPC statuses as {@link Failure} decides, with the caller-facing message. */
final class GrpcErrors {

    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {}

    /**
     * Maps a failure to a status exception.
     *
     * @param failure what went wrong
     * @return the status exception to send
     */
    static StatusRuntimeException toStatus(Throwable failure) {
        if (failure instanceof StatusRuntimeException) {
            return (StatusRuntimeException) failure;
        }
        Failure f = describe(failure);
        return Status.fromCode(f.grpcCode()).withDescription(f.message()).asRuntimeException();
    }

    /**
     * Classifies a failure that is reported inside a response rather than as the call's status (a
     * frame of a stream), logging server faults as a failed call would be.
     *
     * @param failure what went wrong
     * @return how to report it
     */
    static Failure describe(Throwable failure) {
        Failure f = Failure.of(failure);
        if (f.internal()) {
            LOG.error("gRPC call failed", failure);
        }
        return f;
    }

    /**
     * Runs a synchronous step, failing the Uni with a proper status when it throws.
     *
     * @param step the step
     * @param <T> the response type
     * @return the Uni
     */
    static <T> Uni<T> guard(Supplier<T> step) {
        try {
            return Uni.createFrom().item(step.get());
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(toStatus(e));
        }
    }

    /**
     * Runs a synchronous step that may block (file system, loading a bundle) on a worker thread,
     * failing the Uni with a proper status when it throws.
     *
     * @param step the step
     * @param <T> the response type
     * @return the Uni
     */
    static <T> Uni<T> guardBlocking(Supplier<T> step) {
        return Uni.createFrom().item(step).runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onFailure().transform(GrpcErrors::toStatus);
    }

    /**
     * Runs an asynchronous step, failing the Uni with a proper status when it throws or fails.
     *
     * @param step the step
     * @param <T> the response type
     * @return the Uni
     */
    static <T> Uni<T> guardUni(Supplier<Uni<T>> step) {
        try {
            return step.get().onFailure().transform(GrpcErrors::toStatus);
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(toStatus(e));
        }
    }
}
