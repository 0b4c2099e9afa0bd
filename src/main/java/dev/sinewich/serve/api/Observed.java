package dev.sinewich.serve.api;

import dev.sinewich.serve.metrics.ServerMetrics;
import io.smallrye.mutiny.Uni;
import java.util.function.Function;

/**
 * Runs a request's handling so that every outcome, including failures thrown while parsing, is
 * timed and counted once with bounded labels.
 */
public final class Observed {

    private Observed() {}

    /** Where the handling records which task the request named, once it knows. */
    public static final class TaskLabel {
        private volatile String value = "unknown";

        /**
         * Records the task, if it is a served one (so that labels stay bounded).
         *
         * @param task the requested task
         * @param served whether the model serves it
         */
        public void set(String task, boolean served) {
            value = served ? task : "unknown";
        }
    }

    /**
     * Runs and observes a call.
     *
     * @param metrics the meters
     * @param api the surface label
     * @param call the handling, given the label holder
     * @param <T> the response type
     * @return the observed Uni
     */
    public static <T> Uni<T> call(ServerMetrics metrics, String api, Function<TaskLabel, Uni<T>> call) {
        long start = System.nanoTime();
        TaskLabel task = new TaskLabel();
        return Uni.createFrom().deferred(() -> call.apply(task)).onItemOrFailure().invoke((item, failure) ->
                metrics.request(api, task.value, failure == null ? "success" : Failure.of(failure).reason(),
                        System.nanoTime() - start));
    }
}
