package dev.sinewich.serve.api;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import java.util.concurrent.CompletionStage;

/** Bridges scheduler futures to Mutiny so that a caller who goes away cancels its request. */
public final class Async {

    private Async() {}

    /**
     * Wraps a stage: its result or failure is emitted on a worker thread (so that encoding the
     * response never holds up the inference thread that completed it, nor an event loop), and
     * cancelling the subscription (the caller went away) cancels the stage, so the scheduler skips
     * the request if it has not run.
     *
     * @param stage the scheduler's result
     * @param <T> the result type
     * @return the Uni
     */
    public static <T> Uni<T> uni(CompletionStage<T> stage) {
        return Uni.createFrom().<T>emitter(emitter -> {
            stage.whenComplete((value, failure) -> {
                if (failure != null) {
                    emitter.fail(failure);
                } else {
                    emitter.complete(value);
                }
            });
            emitter.onTermination(() -> stage.toCompletableFuture().cancel(false));
        }).emitOn(Infrastructure.getDefaultWorkerPool());
    }
}
