package dev.sinewich.serve.api;

import dev.sinewich.serve.metrics.ServerMetrics;
import dev.sinewich.serve.serving.RequestHandle;
import dev.sinewich.serve.serving.TensorBudget;
import io.smallrye.mutiny.Uni;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs a request's handling so that every outcome, including failures thrown while parsing, is
 * timed and counted once with bounded labels, and so that the request's memory lease is given back
 * once it is over, whatever the outcome.
 */
public final class Observed {

    private Observed() {}

    /**
     * One request being handled: where the handling records which task the request named, once it
     * knows, and the request's share of the memory budget.
     */
    public static final class Call implements RequestHandle {
        private final TensorBudget.Lease lease;
        private volatile String task = "unknown";
        private volatile List<String> tasks = List.of();

        private Call(TensorBudget.Lease lease) {
            this.lease = lease;
        }

        /**
         * Records the tasks the request names, keeping only served ones as labels (so that labels
         * stay bounded): the request's label is its one task, {@code multi} for several, or
         * {@code unknown}; each served task also gets the request's latency under its own name.
         *
         * @param names the requested tasks
         * @param served the tasks the model serves
         */
        @Override
        public void tasks(List<String> names, Collection<String> served) {
            List<String> known = names.stream().filter(served::contains).distinct().toList();
            tasks = known;
            task = names.size() > 1 && known.size() == names.size() ? "multi"
                    : names.size() == 1 && known.size() == 1 ? known.get(0) : "unknown";
        }

        /**
         * Returns the request's memory lease, open until the request is over.
         *
         * @return the lease
         */
        @Override
        public TensorBudget.Lease lease() {
            return lease;
        }
    }

    /**
     * Runs and observes a call whose answer is done once the returned Uni ends (gRPC: the response
     * message is serialised when it is emitted); the lease is closed then.
     *
     * @param metrics the meters
     * @param budget the memory budget the request's lease comes from
     * @param api the surface label
     * @param call the handling, given the call's state
     * @param <T> the response type
     * @return the observed Uni
     */
    public static <T> Uni<T> call(ServerMetrics metrics, TensorBudget budget, String api, Function<Call, Uni<T>> call) {
        Call state = new Call(budget.lease());
        return observe(metrics, api, state, call).onTermination().invoke(state.lease::close);
    }

    /**
     * Runs and observes a call whose answer is still being sent after the returned Uni ends (REST:
     * the response body is written afterwards).
     *
     * @param metrics the meters
     * @param budget the memory budget the request's lease comes from
     * @param api the surface label
     * @param whenAnswered registers an action to run once the answer is sent or the caller is gone
     * @param call the handling, given the call's state
     * @param <T> the response type
     * @return the observed Uni
     */
    public static <T> Uni<T> call(ServerMetrics metrics, TensorBudget budget, String api,
            Consumer<Runnable> whenAnswered, Function<Call, Uni<T>> call) {
        Call state = new Call(budget.lease());
        whenAnswered.accept(state.lease::close);
        return observe(metrics, api, state, call);
    }

    private static <T> Uni<T> observe(ServerMetrics metrics, String api, Call state, Function<Call, Uni<T>> call) {
        long start = System.nanoTime();
        return Uni.createFrom().deferred(() -> call.apply(state)).onItemOrFailure().invoke((item, failure) -> {
            long nanos = System.nanoTime() - start;
            metrics.request(api, state.task, failure == null ? "success" : Failure.of(failure).reason(), nanos);
            if (failure == null) {
                metrics.tasksRan(api, state.tasks, nanos);
            }
        });
    }
}
