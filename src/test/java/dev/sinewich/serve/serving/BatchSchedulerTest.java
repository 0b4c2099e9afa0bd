package dev.sinewich.serve.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.model.ForwardItem;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.model.SinewichModel;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scheduler with a real model: batching across tasks, refusal when full, deadlines,
 * cancellation, failure isolation and a shutdown that finishes what was accepted. Tests that need
 * requests to wait create the scheduler without starting it, so nothing depends on timing.
 */
class BatchSchedulerTest {

    private static SinewichModel model;

    @BeforeAll
    static void load() {
        try (Bundle bundle = Bundle.open(Paths.get("src/test/resources/conformance/s2_lora_lowpass_clock/bundle"))) {
            model = SinewichModel.load(bundle, Device.cpu());
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static BatchScheduler scheduler(int capacity, int maxRows, Duration delay) {
        return scheduler(model, capacity, maxRows, delay);
    }

    private static BatchScheduler scheduler(SinewichModel served, int capacity, int maxRows, Duration delay) {
        return new BatchScheduler(name -> {
            if (!name.equals(served.config().name())) {
                throw new ModelNotFoundException("unknown model '" + name + "'");
            }
            return served;
        }, new SchedulerSettings(1, capacity, maxRows, delay, Duration.ofSeconds(60), Duration.ofMinutes(5)));
    }

    private static InferenceRequest request(String task, int n, long seed, Duration deadline) {
        Random r = new Random(seed);
        float[] p = new float[n * 3 * 24 * 20];
        for (int i = 0; i < p.length; i++) {
            p[i] = r.nextFloat();
        }
        return new InferenceRequest(model.config().name(),
                ForwardItem.of(new ImageBatch(n, 24, 20, p), task, Set.of()), deadline,
                new TensorBudget(Long.MAX_VALUE).lease());
    }

    @Test
    void waitingRequestsOfDifferentTasksShareOnePassAndGetTheirOwnResults() throws Exception {
        BatchScheduler s = scheduler(16, 8, Duration.ZERO);
        List<String> tasks = List.of("depth", "normals", "saliency", "semseg", "depth", "saliency");
        List<CompletableFuture<InferenceResult>> results = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            results.add(s.submit(request(tasks.get(i), 1, i, null)));
        }
        assertEquals(6, s.pending());
        s.start();
        for (int i = 0; i < tasks.size(); i++) {
            InferenceResult r = results.get(i).get(60, TimeUnit.SECONDS);
            assertEquals(6, r.batchRows(), "all six waited, so they share a pass");
            var expected = model.predict(request(tasks.get(i), 1, i, null).item().images(), tasks.get(i), Set.of());
            var actual = r.outputs().get(tasks.get(i)).get(0);
            if (actual.floats() != null) {
                assertArrayEquals(expected.get(0).floats(), actual.floats(), 1e-5f, tasks.get(i));
            }
        }
        assertEquals(1, s.stats().passes());
        s.shutdown(Duration.ofSeconds(30));
    }

    @Test
    void withSeveralIdleWorkersRequestsArrivingOneByOneStillShareOnePass() throws Exception {
        BatchScheduler s = new BatchScheduler(name -> model, new SchedulerSettings(4, 16, 4,
                Duration.ofSeconds(120), Duration.ofSeconds(60), Duration.ofMinutes(5)));
        s.start();
        List<CompletableFuture<InferenceResult>> results = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            results.add(s.submit(request("depth", 1, i, null)));
            // each arrives once the one before has been taken by a worker, which waits for company
            long until = System.nanoTime() + 10_000_000_000L;
            while (s.pending() > 0 && System.nanoTime() < until) {
                Thread.sleep(1);
            }
            Thread.sleep(20);
        }
        for (CompletableFuture<InferenceResult> r : results) {
            assertEquals(4, r.get(60, TimeUnit.SECONDS).batchRows(), "one worker forms the pass, the idle ones wait");
        }
        assertEquals(1, s.stats().passes());
        s.shutdown(Duration.ofSeconds(30));
    }

    @Test
    void passesStopGrowingAtTheRowLimit() throws Exception {
        BatchScheduler s = scheduler(16, 4, Duration.ZERO);
        List<CompletableFuture<InferenceResult>> results = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            results.add(s.submit(request("depth", 2, i, null)));
        }
        s.start();
        for (CompletableFuture<InferenceResult> r : results) {
            assertTrue(r.get(60, TimeUnit.SECONDS).batchRows() <= 4);
        }
        assertEquals(3, s.stats().passes());
        s.shutdown(Duration.ofSeconds(30));
    }

    @Test
    void aFullQueueRefusesAtOnceAndStillServesWhatItAccepted() throws Exception {
        BatchScheduler s = scheduler(2, 8, Duration.ZERO);
        CompletableFuture<InferenceResult> a = s.submit(request("depth", 1, 1, null));
        CompletableFuture<InferenceResult> b = s.submit(request("depth", 1, 2, null));
        CapacityExceededException full = assertThrows(CapacityExceededException.class,
                () -> s.submit(request("depth", 1, 3, null)));
        assertTrue(full.getMessage().contains("queue is full"), full.getMessage());
        assertEquals(1, s.stats().rejected());
        s.start();
        a.get(60, TimeUnit.SECONDS);
        b.get(60, TimeUnit.SECONDS);
        s.shutdown(Duration.ofSeconds(30));
    }

    @Test
    void expiredAndCancelledRequestsAreAnsweredAndNeverComputed() throws Exception {
        BatchScheduler s = scheduler(8, 8, Duration.ZERO);
        CompletableFuture<InferenceResult> late = s.submit(request("depth", 1, 1, Duration.ofMillis(20)));
        CompletableFuture<InferenceResult> gone = s.submit(request("depth", 1, 2, null));
        CompletableFuture<InferenceResult> kept = s.submit(request("depth", 1, 3, null));
        gone.cancel(false);
        ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof DeadlineExceededException, e.getCause().toString());
        s.start();
        assertEquals(1, kept.get(60, TimeUnit.SECONDS).batchRows(), "only the live request was computed");
        assertEquals(2, s.stats().skipped());
        assertEquals(1, s.stats().expired());
        s.shutdown(Duration.ofSeconds(30));
    }

    @Test
    void badRequestsFailAtSubmissionAndAStaleOneFailsAlone() throws Exception {
        BatchScheduler s = scheduler(8, 8, Duration.ZERO);
        assertThrows(ModelNotFoundException.class, () -> s.submit(new InferenceRequest("nope",
                request("depth", 1, 1, null).item(), null, new TensorBudget(Long.MAX_VALUE).lease())));
        assertThrows(InvalidInputException.class, () -> s.submit(request("sky", 1, 1, null)));
        assertThrows(InvalidInputException.class, () -> s.submit(request("depth", 1, 1, Duration.ofHours(1))));
        s.start();
        s.shutdown(Duration.ofSeconds(30));
        try (Bundle bundle = Bundle.open(Paths.get("src/test/resources/conformance/s2_lora_lowpass_clock/bundle"));
                SinewichModel own = SinewichModel.load(bundle, Device.cpu())) {
            BatchScheduler t = scheduler(own, 8, 8, Duration.ZERO);
            java.util.concurrent.atomic.AtomicInteger waits = new java.util.concurrent.atomic.AtomicInteger();
            t.listener(new PassListener() {
                @Override
                public void passRun(int requests, int rows, double computeSeconds) {
                    // not counted here
                }

                @Override
                public void requestStarted(double queueSeconds) {
                    waits.incrementAndGet();
                }
            });
            CompletableFuture<InferenceResult> fine = t.submit(request("depth", 1, 1, null));
            CompletableFuture<InferenceResult> stale = t.submit(request("saliency", 1, 2, null));
            own.removeTask("saliency");
            t.start();
            fine.get(60, TimeUnit.SECONDS);
            ExecutionException e = assertThrows(ExecutionException.class, () -> stale.get(60, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof InvalidInputException, e.getCause().toString());
            t.shutdown(Duration.ofSeconds(30));
            // the pass was split and each request retried alone: each queue wait is recorded once
            assertEquals(2, waits.get());
        }
    }

    @Test
    void shutdownFinishesEverythingAcceptedThenRefuses() throws Exception {
        BatchScheduler s = scheduler(8, 2, Duration.ZERO);
        List<CompletableFuture<InferenceResult>> results = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            results.add(s.submit(request("saliency", 1, i, null)));
        }
        s.start();
        assertTrue(s.shutdown(Duration.ofSeconds(60)));
        for (CompletableFuture<InferenceResult> r : results) {
            assertTrue(r.isDone() && !r.isCompletedExceptionally(), "accepted requests finish");
        }
        ModelUnavailableException stopping = assertThrows(ModelUnavailableException.class,
                () -> s.submit(request("saliency", 1, 9, null)));
        assertTrue(stopping.getMessage().contains("shutting down"));
    }

    @Test
    void awaitIdleWaitsForEveryAcceptedRequestWhileNewOnesAreRefused() throws Exception {
        BatchScheduler s = scheduler(8, 2, Duration.ZERO);
        List<CompletableFuture<InferenceResult>> results = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            results.add(s.submit(request("normals", 1, i, null)));
        }
        s.stopAccepting();
        assertThrows(ModelUnavailableException.class, () -> s.submit(request("normals", 1, 9, null)));
        // nothing runs before start(): the wait gives up and says so
        assertFalse(s.awaitIdle(Duration.ofMillis(50)));
        assertTrue(results.stream().noneMatch(CompletableFuture::isDone));
        s.start();
        assertTrue(s.awaitIdle(Duration.ofSeconds(60)));
        for (CompletableFuture<InferenceResult> r : results) {
            assertTrue(r.isDone() && !r.isCompletedExceptionally(), "accepted requests finish");
        }
        assertTrue(s.shutdown(Duration.ofSeconds(30)));
    }

    @Test
    void aFailingListenerChangesNoResultAndTheWorkerGoesOn() throws Exception {
        BatchScheduler s = scheduler(8, 8, Duration.ZERO);
        s.listener(new PassListener() {
            @Override
            public void passRun(int requests, int rows, double computeSeconds) {
                throw new IllegalStateException("meter broke after the pass");
            }

            @Override
            public void requestStarted(double queueSeconds) {
                throw new IllegalStateException("meter broke before the pass");
            }
        });
        s.start();
        for (int i = 0; i < 3; i++) {
            InferenceResult r = s.submit(request("depth", 1, i, null)).get(60, TimeUnit.SECONDS);
            assertTrue(r.outputs().containsKey("depth"), r.outputs().keySet().toString());
        }
        assertEquals(3, s.stats().passes());
        assertTrue(s.shutdown(Duration.ofSeconds(30)));
    }

    @Test
    void aRequestLeftOutOfAPassWaitsAtTheHeadOfTheQueueAndIsCounted() throws Exception {
        BatchScheduler s = scheduler(8, 2, Duration.ZERO);
        CompletableFuture<InferenceResult> one = s.submit(request("depth", 1, 1, null));
        CompletableFuture<InferenceResult> two = s.submit(request("saliency", 2, 2, null));
        CompletableFuture<InferenceResult> three = s.submit(request("normals", 1, 3, null));
        assertEquals(3, s.pending());
        s.start();
        // 1 row, then 2 rows do not fit a pass of 2: the second goes back to the head, before the third
        InferenceResult second = two.get(60, TimeUnit.SECONDS);
        InferenceResult first = one.get(60, TimeUnit.SECONDS);
        InferenceResult third = three.get(60, TimeUnit.SECONDS);
        assertEquals(1, first.batchRows());
        assertEquals(2, second.batchRows());
        assertEquals(1, third.batchRows());
        assertEquals(0, s.pending());
        assertEquals(3, s.stats().passes());
        assertTrue(s.shutdown(Duration.ofSeconds(30)));
    }

    @Test
    void shutdownRefusesWhatNoWorkerReachedWithinTheGracePeriod() throws Exception {
        BatchScheduler s = scheduler(8, 8, Duration.ZERO);
        CompletableFuture<InferenceResult> a = s.submit(request("depth", 1, 1, null));
        CompletableFuture<InferenceResult> b = s.submit(request("normals", 1, 2, null));
        // never started: no worker takes them
        assertFalse(s.shutdown(Duration.ofMillis(20)));
        for (CompletableFuture<InferenceResult> r : List.of(a, b)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> r.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof ModelUnavailableException, e.getCause().toString());
            assertTrue(e.getCause().getMessage().contains("shutting down"), e.getCause().getMessage());
        }
        assertEquals(0, s.unfinished());
        assertEquals(0, s.pending());
        ModelUnavailableException late = assertThrows(ModelUnavailableException.class,
                () -> s.submit(request("depth", 1, 3, null)));
        assertTrue(late.getMessage().contains("shutting down"));
        assertEquals(0, s.unfinished());
    }
}
