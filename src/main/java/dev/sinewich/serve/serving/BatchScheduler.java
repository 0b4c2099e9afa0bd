package dev.sinewich.serve.serving;

import dev.sinewich.serve.model.ForwardItem;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.model.ModelClosedException;
import dev.sinewich.serve.model.OutputTensor;
import dev.sinewich.serve.model.SinewichModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The one scheduler in front of the model: a bounded queue (a request that finds it full is refused
 * at once), dynamic batching (a pass takes waiting requests of any task until it has
 * {@code maxBatchSize} rows or its first request has waited {@code maxDelay}; it waits only while
 * requests arrive closer together than {@code maxDelay}, see {@link ArrivalGaps}; one worker at a
 * time forms a pass, the others run theirs), a deadline per
 * request (it then fails with {@link DeadlineExceededException}; a request whose caller went away
 * or whose deadline passed is skipped, not computed), and an orderly shutdown that finishes
 * everything accepted. Knows nothing of HTTP or gRPC. Thread-safe.
 */
public final class BatchScheduler {

    private static final Logger LOG = Logger.getLogger(BatchScheduler.class);

    private final Function<String, SinewichModel> models;
    private final SchedulerSettings settings;
    /** Waiting jobs; a job taken but left out of a pass goes back to its head. Bounded by {@link #waiting}. */
    private final BlockingDeque<Job> queue = new LinkedBlockingDeque<>();
    /**
     * Held by the one worker that forms the next pass: the others wait for it instead of each
     * taking a job and waiting for company on its own (with several idle workers, requests arriving
     * one by one would otherwise each start a pass of their own).
     */
    private final ReentrantLock forming = new ReentrantLock();
    /** Jobs accepted and not yet taken into a pass (the queue's length, kept exact for admission). */
    private final AtomicInteger waiting = new AtomicInteger();
    private final ScheduledExecutorService timers;
    private final List<Thread> workers = new ArrayList<>();
    private final SchedulerStats stats = new SchedulerStats();
    private final ArrivalGaps gaps = new ArrivalGaps();
    private volatile PassListener listener = PassListener.NONE;
    private volatile boolean accepting = true;
    private volatile boolean running;
    /** Accepted requests whose result is not yet complete; {@link #awaitIdle} waits on it. */
    private final AtomicInteger unfinished = new AtomicInteger();
    private final Object idle = new Object();

    /** An accepted request. */
    private static final class Job {
        final String model;
        final ForwardItem item;
        final long acceptedNanos = System.nanoTime();
        final CompletableFuture<InferenceResult> result = new CompletableFuture<>();
        ScheduledFuture<?> timer;
        /** Whether its queue wait has been recorded (once, even when its pass is split and retried). */
        boolean started;

        Job(String model, ForwardItem item) {
            this.model = model;
            this.item = item;
        }

        int rows() {
            return item.images().count() * item.tasks().size();
        }
    }

    /**
     * Creates a scheduler; call {@link #start()} to run passes.
     *
     * @param models finds the model a request names, or throws {@link ModelNotFoundException}
     * @param settings queue and batching settings
     */
    public BatchScheduler(Function<String, SinewichModel> models, SchedulerSettings settings) {
        this.models = models;
        this.settings = settings;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sinewich-deadlines");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the worker threads. */
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        for (int i = 0; i < settings.workers(); i++) {
            startWorker("sinewich-inference-" + (i + 1));
        }
    }

    /**
     * Starts a worker. Should one die all the same (the loop survives any failure of a pass), its
     * handler logs why and starts a replacement while the scheduler runs.
     */
    private synchronized void startWorker(String name) {
        Thread t = new Thread(this::work, name);
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((dead, failure) -> {
            LOG.error("inference worker " + dead.getName() + " died; starting a replacement", failure);
            synchronized (this) {
                workers.remove(dead);
                if (running) {
                    startWorker(dead.getName());
                }
            }
        });
        workers.add(t);
        t.start();
    }

    /**
     * Accepts a request: validates it against the model, then queues it.
     *
     * @param request the request
     * @return the result; fails with {@link DeadlineExceededException} past the deadline, and may be
     *     cancelled by the caller
     * @throws ModelNotFoundException for an unknown model
     * @throws InvalidInputException for an unknown task or output, or an impossible deadline
     * @throws RequestTooLargeException when its outputs would hold more values, or more memory,
     *     than the settings allow
     * @throws CapacityExceededException when the queue is full, or the memory budget is taken
     * @throws ModelUnavailableException when the server is stopping
     */
    public CompletableFuture<InferenceResult> submit(InferenceRequest request) {
        return submit(request, models.apply(request.model()));
    }

    /**
     * Accepts a request whose model the caller has resolved already (see {@link #submit(InferenceRequest)}).
     *
     * @param request the request
     * @param model the served model the request names, as the caller resolved it; the pass runs on
     *     whichever model is served by that name when it starts
     * @return the result
     */
    public CompletableFuture<InferenceResult> submit(InferenceRequest request, SinewichModel model) {
        model.validate(request.item());
        long values = model.outputValues(request.item());
        if (values > settings.maxOutputValues()) {
            throw new RequestTooLargeException("the outputs asked for would hold "
                    + (values == Long.MAX_VALUE ? "too many" : String.valueOf(values)) + " values, more than the "
                    + settings.maxOutputValues() + " one request may produce (sinewich.limits.max-output-values); "
                    + "ask for fewer tasks or outputs (probabilities hold one value per class and pixel), or send "
                    + "smaller images");
        }
        request.lease().reserveOutputs(values);
        Duration deadline = request.timeout() == null ? settings.timeout() : request.timeout();
        if (deadline.isNegative() || deadline.isZero() || deadline.compareTo(settings.maxTimeout()) > 0) {
            throw new InvalidInputException("the deadline must be between 1 ms and " + settings.maxTimeout().toMillis()
                    + " ms, found " + deadline.toMillis() + " ms");
        }
        Job job = new Job(request.model(), request.item());
        // counted before the check, so that a shutdown that begins now waits for this job
        unfinished.incrementAndGet();
        if (!accepting) {
            finished();
            stats.rejected.increment();
            throw new ModelUnavailableException("the server is shutting down");
        }
        if (waiting.incrementAndGet() > settings.queueCapacity()) {
            waiting.decrementAndGet();
            finished();
            stats.rejected.increment();
            throw new CapacityExceededException("the inference queue is full (" + settings.queueCapacity()
                    + " requests waiting); retry later");
        }
        long millis = deadline.toMillis();
        try {
            job.timer = timers.schedule(() -> {
                if (job.result.completeExceptionally(new DeadlineExceededException(
                        "the request did not finish within its deadline of " + millis + " ms"))) {
                    stats.expired.increment();
                }
            }, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopped) {
            // the scheduler shut down between the check and now: nothing of this job stays behind
            waiting.decrementAndGet();
            finished();
            stats.rejected.increment();
            throw new ModelUnavailableException("the server is shutting down");
        }
        job.result.whenComplete((r, e) -> {
            job.timer.cancel(false);
            // cancelled by its caller or past its deadline while still queued: its slot is free at once
            // (a job with a result was taken off the queue already)
            if (e != null && queue.remove(job)) {
                waiting.decrementAndGet();
                stats.skipped.increment();
            }
            finished();
        });
        gaps.arrived(job.acceptedNanos);
        queue.addLast(job);
        return job.result;
    }

    private void finished() {
        if (unfinished.decrementAndGet() == 0) {
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    /**
     * Returns the number of accepted requests without a result yet.
     *
     * @return accepted, unfinished requests
     */
    public int unfinished() {
        return unfinished.get();
    }

    /**
     * Waits until every accepted request has its result (answered, failed or expired). Call it after
     * {@link #stopAccepting()}, or new requests may keep it waiting.
     *
     * @param timeout how long to wait at most
     * @return true when nothing accepted is left unfinished
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (unfinished.get() > 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
        }
        return true;
    }

    /**
     * Sets who hears about passes and queue waits.
     *
     * @param listener the listener
     */
    public void listener(PassListener listener) {
        this.listener = listener;
    }

    /**
     * Refuses new requests from now on; accepted ones still run. The first step of a shutdown.
     */
    public void stopAccepting() {
        accepting = false;
    }

    /**
     * Tells whether new requests are accepted (false once shutdown began).
     *
     * @return true while accepting
     */
    public boolean accepting() {
        return accepting && running;
    }

    /**
     * Returns the number of accepted requests not yet started.
     *
     * @return the queue length
     */
    public int pending() {
        return waiting.get();
    }

    /**
     * Returns the scheduler's counters.
     *
     * @return the live counters
     */
    public SchedulerStats stats() {
        return stats;
    }

    private void work() {
        while (running || !queue.isEmpty()) {
            try {
                List<Job> batch = null;
                forming.lockInterruptibly();
                try {
                    Job first = take(50_000_000L);
                    if (first != null) {
                        batch = gather(first);
                    }
                } finally {
                    forming.unlock();
                }
                if (batch != null) {
                    run(batch);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | Error e) {
                // run() completes its jobs whatever happens; this only keeps the worker alive
                LOG.error("inference worker loop failed; going on", e);
            }
        }
    }

    /** Takes the next waiting job, waiting at most the given time. */
    private Job take(long nanos) throws InterruptedException {
        Job job = nanos > 0 ? queue.pollFirst(nanos, TimeUnit.NANOSECONDS) : queue.pollFirst();
        if (job != null) {
            waiting.decrementAndGet();
        }
        return job;
    }

    /**
     * Adds waiting jobs to a pass until it has {@code maxBatchSize} rows or its first job has waited
     * {@code maxDelay} (waiting only while requests arrive closer together than that). A job that
     * does not fit goes back to the head of the shared queue, where any worker takes it next.
     */
    private List<Job> gather(Job first) throws InterruptedException {
        List<Job> batch = new ArrayList<>();
        batch.add(first);
        int rows = first.rows();
        long delay = settings.maxDelay().toNanos();
        boolean waitForCompany = gaps.closerThan(delay);
        long until = first.acceptedNanos + delay;
        while (rows < settings.maxBatchSize()) {
            Job next = take(waitForCompany ? until - System.nanoTime() : 0);
            if (next == null) {
                break;
            }
            if (!next.model.equals(first.model) || rows + next.rows() > settings.maxBatchSize()) {
                waiting.incrementAndGet();
                queue.addFirst(next);
                break;
            }
            batch.add(next);
            rows += next.rows();
        }
        return batch;
    }

    /**
     * Runs one pass and completes every job of the batch, whatever happens on the way: a job still
     * without a result at the end fails as a server fault. Listener failures are logged and change
     * no result.
     */
    private void run(List<Job> batch) {
        try {
            runPass(batch);
        } catch (RuntimeException | Error e) {
            LOG.error("inference pass failed", e);
            batch.forEach(job -> job.result.completeExceptionally(e));
        } finally {
            for (Job job : batch) {
                if (!job.result.isDone()) {
                    job.result.completeExceptionally(new IllegalStateException("the pass ended without a result"));
                }
            }
        }
    }

    private void runPass(List<Job> batch) {
        List<Job> live = new ArrayList<>();
        for (Job job : batch) {
            if (job.result.isDone()) {
                stats.skipped.increment(); // the caller went away or the deadline passed: no work for it
            } else {
                live.add(job);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        for (Job job : live) {
            if (!job.started) {
                job.started = true;
                notifyListener(() -> listener.requestStarted((start - job.acceptedNanos) / 1e9));
            }
        }
        List<Map<String, List<OutputTensor>>> outputs;
        try {
            List<ForwardItem> items = live.stream().map(j -> j.item).toList();
            try {
                outputs = models.apply(live.get(0).model).predictBatch(items);
            } catch (ModelClosedException replaced) {
                // the model was replaced while these waited: run them on its successor
                outputs = models.apply(live.get(0).model).predictBatch(items);
            }
        } catch (ModelNotFoundException | ModelClosedException | ModelUnavailableException e) {
            // the model went away (unloaded or replaced by another) while these waited: the caller's
            // answer, not a fault of the server
            live.forEach(job -> job.result.completeExceptionally(e));
            return;
        } catch (InvalidInputException e) {
            if (live.size() == 1) {
                live.get(0).result.completeExceptionally(e);
            } else {
                // one request went stale (say, its task was removed while it waited): run each alone
                // so that only that one fails
                for (Job job : live) {
                    runPass(List.of(job));
                }
            }
            return;
        }
        long end = System.nanoTime();
        int rows = live.stream().mapToInt(Job::rows).sum();
        stats.passes.increment();
        for (int i = 0; i < live.size(); i++) {
            Job job = live.get(i);
            job.result.complete(new InferenceResult(outputs.get(i), (start - job.acceptedNanos) / 1e9,
                    (end - start) / 1e9, rows));
        }
        notifyListener(() -> listener.passRun(live.size(), rows, (end - start) / 1e9));
    }

    private static void notifyListener(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("a pass listener failed; the results are not affected", e);
        }
    }

    /**
     * Stops accepting, lets accepted requests finish within the grace period, then stops the workers.
     *
     * @param grace how long to wait for accepted requests
     * @return true when everything accepted finished in time
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean shutdown(Duration grace) throws InterruptedException {
        accepting = false;
        running = false;
        long end = System.nanoTime() + grace.toNanos();
        boolean finished = true;
        for (Thread t : workers) {
            long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()));
            t.join(left);
            finished &= !t.isAlive();
        }
        timers.shutdownNow();
        // nothing accepted is left hanging: what no worker took within the grace period is refused
        Job left;
        while ((left = queue.pollFirst()) != null) {
            waiting.decrementAndGet();
            if (left.result.completeExceptionally(new ModelUnavailableException(
                    "the server is shutting down and did not reach this request within its grace period"))) {
                finished = false;
            }
        }
        return finished;
    }
}
