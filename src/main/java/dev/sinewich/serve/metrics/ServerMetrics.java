package dev.sinewich.serve.metrics;

import dev.sinewich.serve.model.KernelStats;
import dev.sinewich.serve.model.NativeResources;
import dev.sinewich.serve.model.ResidentMemory;
import dev.sinewich.serve.model.SinewichModel;
import dev.sinewich.serve.serving.BatchScheduler;
import dev.sinewich.serve.serving.InferenceService;
import dev.sinewich.serve.serving.ModelService;
import dev.sinewich.serve.serving.PassListener;
import dev.sinewich.serve.serving.TensorBudget;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.time.Duration;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The one place that declares the server's meters, named by the Prometheus conventions (one
 * {@code sinewich_} prefix, base units, {@code _total} on counters, bounded labels only: api, task,
 * outcome, reason, part). Thread-safe.
 */
@ApplicationScoped
public class ServerMetrics implements PassListener {

    /** The surfaces a request can come by: the {@code api} label's values. */
    public static final List<String> APIS = List.of("rest_oip", "grpc_oip", "rest_native", "grpc_native");

    /** The reasons a request can fail for: the {@code reason} label's values. */
    public static final List<String> FAILURE_REASONS = List.of("invalid_input", "unsupported_media_type",
            "too_large", "read_timeout", "forbidden", "not_found", "capacity", "unavailable", "deadline",
            "cancelled", "internal");

    private final MeterRegistry registry;
    private final ModelService models;
    private final InferenceService inference;
    private DistributionSummary batchRows;
    private Timer queueWait;
    private Timer compute;
    private MultiGauge modelInfo;

    /**
     * Creates the meters' owner.
     *
     * @param registry the registry
     * @param models the served model
     * @param inference the scheduler
     */
    public ServerMetrics(MeterRegistry registry, ModelService models, InferenceService inference) {
        this.registry = registry;
        this.models = models;
        this.inference = inference;
    }

    void register(@Observes @Priority(Interceptor.Priority.APPLICATION + 200) StartupEvent event) {
        batchRows = DistributionSummary.builder("sinewich.batch.rows")
                .description("Rows (image × task) per forward pass").publishPercentileHistogram()
                .minimumExpectedValue(1.0).maximumExpectedValue(256.0).register(registry);
        // every known (api, reason) pair exists at 0 from the first scrape, so rate() works before a failure
        for (String api : APIS) {
            for (String reason : FAILURE_REASONS) {
                failures(api, reason);
            }
        }
        queueWait = histogram("sinewich.queue.wait", "Time from acceptance to the start of the request's pass");
        compute = histogram("sinewich.compute", "Duration of forward passes");
        BatchScheduler scheduler = inference.scheduler();
        scheduler.listener(this);
        Gauge.builder("sinewich.pending.requests", scheduler, BatchScheduler::pending)
                .description("Accepted requests waiting for a pass").register(registry);
        Gauge.builder("sinewich.inflight.tensor", inference.budget(), TensorBudget::used).baseUnit("bytes")
                .description("Memory reserved by requests in flight for their decoded images and outputs "
                        + "(bounded by sinewich.limits.max-inflight-tensor-bytes)").register(registry);
        counter("sinewich.scheduler.rejected", "Requests refused because the queue was full or the server stopping",
                scheduler, s -> s.stats().rejected());
        counter("sinewich.scheduler.expired", "Requests that passed their deadline", scheduler,
                s -> s.stats().expired());
        counter("sinewich.scheduler.passes", "Forward passes run", scheduler, s -> s.stats().passes());
        counter("sinewich.scheduler.skipped", "Accepted requests never computed: their caller went away or their "
                + "deadline passed while they waited", scheduler, s -> s.stats().skipped());
        modelInfo = MultiGauge.builder("sinewich.model.info").description("The served model (none while unloaded)")
                .register(registry);
        modelChanged(models.model());
        models.onChange(this::modelChanged);
        for (String part : new String[] {"backbone", "fused_kernels", "decoder", "heads", "task_weight_cache"}) {
            Gauge.builder("sinewich.model.resident", models, m -> residentBytes(m, part)).baseUnit("bytes")
                    .description("Bytes the model keeps resident, by part").tag("part", part).register(registry);
        }
        counter("sinewich.kernel.cache.hits", "Task-weight leases served from materialised weights", models,
                m -> kernels(m).hits());
        counter("sinewich.kernel.cache.misses", "Task-weight leases that derived the weights", models,
                m -> kernels(m).misses());
        counter("sinewich.kernel.cache.evictions", "Tasks whose materialised weights were evicted", models,
                m -> kernels(m).evictions());
        FunctionCounter.builder("sinewich.kernel.materialisation", models, m -> kernels(m).materialisationSeconds())
                .baseUnit("seconds").description("Time spent deriving task weights sin(ω·M)").register(registry);
        Gauge.builder("sinewich.kernel.cache", models, m -> kernels(m).residentBytes()).baseUnit("bytes")
                .description("Bytes of materialised task weights held").register(registry);
        Gauge.builder("sinewich.ndarrays.live", NativeResources::liveArrays)
                .description("NDArrays alive in every native manager; back to its idle value after requests").register(registry);
        Gauge.builder("sinewich.native.managers.live", NativeResources::liveManagers)
                .description("Open native NDManagers (resident, task weights, per call)").register(registry);
    }

    /** Shows the served model's labels; an unloaded server shows none. */
    private void modelChanged(SinewichModel model) {
        modelInfo.register(model == null ? List.of() : List.of(MultiGauge.Row.of(Tags.of("model",
                model.config().name(), "version", model.config().version(), "device",
                model.device().getDeviceType(), "engine", model.engine(), "kernel_policy",
                model.kernelStats().policy()), 1)), true);
    }

    private Timer histogram(String name, String description) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(120))
                .register(registry);
    }

    private <T> void counter(String name, String description, T source, ToDoubleFunction<T> value) {
        FunctionCounter.builder(name, source, value).description(description).register(registry);
    }

    private static KernelStats kernels(ModelService models) {
        return models.isReady() ? models.model().kernelStats() : new KernelStats("none", 0, 0, 0, 0, 0, 0);
    }

    private static double residentBytes(ModelService models, String part) {
        if (!models.isReady()) {
            return 0;
        }
        ResidentMemory m = models.model().memory();
        switch (part) {
            case "backbone":
                return m.backbone();
            case "fused_kernels":
                return m.fusedKernels();
            case "decoder":
                return m.decoder();
            case "heads":
                return m.heads().values().stream().mapToLong(Long::longValue).sum();
            default:
                return m.taskWeightCache();
        }
    }

    /**
     * Records a finished request.
     *
     * @param api which surface served it: rest_oip, grpc_oip, rest_native, grpc_native
     * @param task the task (or "multi" for several)
     * @param outcome success, or the failure reason
     * @param nanos its duration
     */
    public void request(String api, String task, String outcome, long nanos) {
        Timer.builder("sinewich.request.duration").description("Request duration from arrival to response")
                .tags("api", api, "task", task, "outcome", outcome).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(120))
                .register(registry).record(Duration.ofNanos(nanos));
        if (!"success".equals(outcome)) {
            failures(api, outcome).increment();
        }
    }

    private Counter failures(String api, String reason) {
        return Counter.builder("sinewich.failures").description("Failed requests by reason").tags("api", api, "reason",
                reason).register(registry);
    }

    /**
     * Records a successful request's latency under each task it ran, so that per-task dashboards
     * include multi-task requests (which {@link #request} labels {@code task="multi"}). Summed over
     * tasks, these count a multi-task request once per task; count requests with
     * {@code sinewich_request_duration_seconds}.
     *
     * @param api which surface served it
     * @param tasks the served tasks it ran
     * @param nanos its duration
     */
    public void tasksRan(String api, List<String> tasks, long nanos) {
        for (String task : tasks) {
            Timer.builder("sinewich.task.duration")
                    .description("Duration of successful requests by each task they ran (a multi-task request "
                            + "once per task)")
                    .tags("api", api, "task", task).publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(120))
                    .register(registry).record(Duration.ofNanos(nanos));
        }
    }

    @Override
    public void passRun(int requests, int rows, double computeSeconds) {
        batchRows.record(rows);
        compute.record(Duration.ofNanos((long) (computeSeconds * 1e9)));
    }

    @Override
    public void requestStarted(double queueSeconds) {
        queueWait.record(Duration.ofNanos((long) (queueSeconds * 1e9)));
    }
}
