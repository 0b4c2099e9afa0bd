package dev.sinewich.serve.api;

import io.smallrye.mutiny.Uni;
import java.util.concurrent.CompletionStage;

/** Bridges scheduler futures to Mutiny so that a caller who goes away cancels its request. */
public final class Async {

    private Async() {}

    /**
     * Wraps a stage: its result or failure is emitted, and cancelling the subscription (the caller
     * went away) cancels the stage, so the scheduler skips the request if it has not run.
     *
     * @param stage the scheduler's result
     * @param <T> the result type
     * @return the Uni
     */
    public static <T> Uni<T> uni(CompletionStage<T> stage) {
        return Uni.createFrom().emitter(emitter -> {
            stage.whenComplete((value, failure) -> {
                if (failure != null) {
                    emitter.fail(failure);
                } else {
                    emitter.complete(value);
                }
            });
            emitter.onTermination(() -> stage.toCompletableFuture().cancel(false));
        });
    }
}
