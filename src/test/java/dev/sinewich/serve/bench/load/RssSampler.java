package dev.sinewich.serve.bench.load;

import java.util.ArrayList;
import java.util.List;

/**
 * Samples the server's resident memory and live-NDArray gauge every interval on a daemon thread,
 * until closed. Thread-safe.
 */
final class RssSampler implements AutoCloseable {

    /** One sample: seconds since the sampler started, RSS in KiB, live NDArrays. */
    record Sample(double seconds, long rssKiB, double ndarrays) {}

    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    RssSampler(ServerUnderTest server, long intervalMillis) {
        long start = System.nanoTime();
        thread = new Thread(() -> {
            while (running) {
                double arrays;
                try {
                    arrays = server.gauge("sinewich_ndarrays_live");
                } catch (Exception e) {
                    arrays = -1;
                }
                synchronized (samples) {
                    samples.add(new Sample((System.nanoTime() - start) / 1e9, server.rssKiB(), arrays));
                }
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    long peakRssKiB() {
        return samples().stream().mapToLong(Sample::rssKiB).max().orElse(-1);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5000);
    }
}
