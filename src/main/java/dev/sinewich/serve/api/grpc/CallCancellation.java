package dev.sinewich.serve.api.grpc;

import io.grpc.Context;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;

/**
 * Ties a unary call's handling to the call: when the client cancels the call (or its deadline
 * passes), the handling's subscription is cancelled, which cancels the scheduler's future
 * ({@link dev.sinewich.serve.api.Async#uni}), so a request still waiting leaves the queue at once
 * and is never computed. Quarkus's gRPC layer does not cancel a unary method's Uni by itself.
 */
final class CallCancellation {

    private CallCancellation() {}

    /**
     * Wraps a call's handling; call it on the thread that runs the service method (it reads the
     * call's {@link Context}).
     *
     * @param handling the call's answer
     * @param <T> the response type
     * @return the same answer, cancelled with the call
     */
    static <T> Uni<T> boundToCall(Uni<T> handling) {
        Context call = Context.current();
        return Uni.createFrom().emitter(emitter -> {
            Cancellable subscription = handling.subscribe().with(emitter::complete, emitter::fail);
            Context.CancellationListener listener = cancelled -> subscription.cancel();
            call.addListener(listener, Runnable::run);
            emitter.onTermination(() -> call.removeListener(listener));
        });
    }
}
