package dev.sinewich.serve.bench.load;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The two ways of offering load. Open loop: Poisson arrivals at a target rate from a seeded
 * generator, each request sent at its scheduled time whatever the earlier ones are doing, latency
 * from that scheduled time. Closed loop: a fixed number of clients, each sending its next request
 * when its previous one ends (to find the saturation throughput, and for soak runs). Stateless.
 */
public final class Drivers {

    private Drivers() {}

    /**
     * Offers load at a rate for a while, then waits for every request to end.
     *
     * @param caller the client
     * @param workload the request mix
     * @param phase where outcomes go
     * @param rate requests per second
     * @param duration how long to send
     * @param seed the seed of the arrival times
     * @param drain how long to wait for the last responses
     * @return the phase's summary
     * @throws InterruptedException if interrupted
     */
    public static Summary openLoop(Caller caller, Workload workload, Phase phase, double rate, Duration duration,
            long seed, Duration drain) throws InterruptedException {
        Random arrivals = new Random(seed);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        long end = start + duration.toNanos();
        AtomicLong open = new AtomicLong();
        double t = 0;
        while (true) {
            t += -Math.log(1 - arrivals.nextDouble()) / rate; // exponential gaps: a Poisson process
            long scheduled = start + (long) (t * 1e9);
            if (scheduled >= end) {
                break;
            }
            long wait;
            while ((wait = scheduled - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            phase.sendLag(System.nanoTime() - scheduled);
            open.incrementAndGet();
            caller.send(workload.next(), scheduled).thenAccept(o -> {
                phase.add(o);
                open.decrementAndGet();
            });
        }
        awaitZero(open, drain);
        return phase.summary(rate, duration.toNanos() / 1e9);
    }

    /**
     * Keeps {@code clients} requests in flight until {@code requests} have been sent or
     * {@code duration} has passed, then waits for every request to end.
     *
     * @param caller the client
     * @param workload the request mix
     * @param phase where outcomes go
     * @param clients requests in flight
     * @param requests the most requests to send (Long.MAX_VALUE for no limit)
     * @param duration the longest to send
     * @param drain how long to wait for the last responses
     * @return the phase's summary
     * @throws InterruptedException if interrupted
     */
    public static Summary closedLoop(Caller caller, Workload workload, Phase phase, int clients, long requests,
            Duration duration, Duration drain) throws InterruptedException {
        ExecutorService next = Executors.newFixedThreadPool(Math.min(clients, 4));
        AtomicLong left = new AtomicLong(requests);
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        AtomicLong lastSend = new AtomicLong(start);
        CountDownLatch done = new CountDownLatch(clients);
        for (int c = 0; c < clients; c++) {
            next.execute(() -> client(caller, workload, phase, left, end, lastSend, done, next));
        }
        boolean finished = done.await(duration.toMillis() + drain.toMillis(), TimeUnit.MILLISECONDS);
        next.shutdown();
        if (!finished) {
            throw new IllegalStateException("closed loop did not finish within " + duration.plus(drain));
        }
        return phase.summary(0, (lastSend.get() - start) / 1e9);
    }

    private static void client(Caller caller, Workload workload, Phase phase, AtomicLong left, long end,
            AtomicLong lastSend, CountDownLatch done, ExecutorService next) {
        long now = System.nanoTime();
        if (now >= end || left.getAndDecrement() <= 0) {
            lastSend.accumulateAndGet(Math.min(now, end), Math::max);
            done.countDown();
            return;
        }
        CompletableFuture<Outcome> f = caller.send(workload.next(), now);
        f.thenAcceptAsync(o -> {
            phase.add(o);
            client(caller, workload, phase, left, end, lastSend, done, next);
        }, next);
    }

    private static void awaitZero(AtomicLong open, Duration drain) throws InterruptedException {
        long until = System.nanoTime() + drain.toNanos();
        while (open.get() > 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        if (open.get() > 0) {
            throw new IllegalStateException(open.get() + " requests still open after " + drain);
        }
    }
}
