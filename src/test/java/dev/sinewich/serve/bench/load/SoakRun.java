package dev.sinewich.serve.bench.load;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The soak check: a warm-up, then many mixed requests from a fixed number of clients, with the
 * server's RSS and live-NDArray gauge sampled throughout. It passes when every request succeeded,
 * none lost its connection, the live NDArray and NDManager counts at idle are the same after the
 * run as after the warm-up, and (when a limit is given) RSS grew by at most that fraction.
 * Not thread-safe (one run).
 */
public final class SoakRun {

    /**
     * The shape of a run.
     *
     * @param warmupRequests requests before the first idle reading (every task and size gets used)
     * @param requests requests measured
     * @param clients requests in flight
     * @param maxRssGrowth the largest RSS growth after warm-up that passes, as a fraction; NaN logs it only
     */
    public record Plan(long warmupRequests, long requests, int clients, double maxRssGrowth) {}

    /**
     * What a run found.
     *
     * @param phases the warm-up's and the run's summaries
     * @param checks the properties and verdicts
     * @param figures idle gauges and RSS readings
     * @param samples RSS (KiB) and live NDArrays sampled every second during the run
     */
    public record Result(List<Summary> phases, List<Check> checks, Map<String, Double> figures,
            List<RssSampler.Sample> samples) {

        /**
         * Tells whether every property held.
         *
         * @return true when all checks passed
         */
        public boolean passed() {
            return checks.stream().allMatch(Check::passed);
        }
    }

    private SoakRun() {}

    /**
     * Runs the check.
     *
     * @param server the server, ready
     * @param caller the client
     * @param workload the request mix
     * @param plan the shape of the run
     * @param progress where summaries are printed as they finish
     * @return the findings
     * @throws Exception if the run cannot be carried out
     */
    public static Result run(ServerUnderTest server, Caller caller, Workload workload, Plan plan, PrintStream progress)
            throws Exception {
        Duration forever = Duration.ofHours(12);
        Duration drain = Duration.ofMinutes(2);
        Summary warmup = Drivers.closedLoop(caller, workload, new Phase("warmup"), plan.clients(),
                plan.warmupRequests(), forever, drain);
        progress.print(warmup.text());
        Map<String, Double> figures = new LinkedHashMap<>();
        figures.put("ndarrays_idle_after_warmup", server.settledGauge("sinewich_ndarrays_live"));
        figures.put("managers_idle_after_warmup", server.settledGauge("sinewich_native_managers_live"));
        figures.put("rss_after_warmup_kib", (double) server.rssKiB());
        Summary soak;
        List<RssSampler.Sample> samples;
        try (RssSampler sampler = new RssSampler(server, 1000)) {
            soak = Drivers.closedLoop(caller, workload, new Phase("soak"), plan.clients(), plan.requests(), forever,
                    drain);
            samples = sampler.samples();
            figures.put("rss_peak_kib", (double) sampler.peakRssKiB());
            figures.put("ndarrays_peak", samples.stream().mapToDouble(RssSampler.Sample::ndarrays).max().orElse(-1));
        }
        progress.print(soak.text());
        figures.put("ndarrays_idle_after_run", server.settledGauge("sinewich_ndarrays_live"));
        figures.put("managers_idle_after_run", server.settledGauge("sinewich_native_managers_live"));
        figures.put("rss_after_run_kib", (double) server.rssKiB());
        double growth = figures.get("rss_after_run_kib") / figures.get("rss_after_warmup_kib") - 1;
        figures.put("rss_growth", growth);
        return new Result(List.of(warmup, soak), checks(plan, warmup, soak, figures, growth), figures, samples);
    }

    private static List<Check> checks(Plan plan, Summary warmup, Summary soak, Map<String, Double> f, double growth) {
        List<Check> checks = new ArrayList<>();
        checks.add(new Check("every request succeeded", soak.successes() == soak.requests()
                && warmup.successes() == warmup.requests(), soak.successes() + " of " + soak.requests()
                        + " succeeded; statuses " + soak.byStatus()));
        long transport = soak.transportErrorCount() + warmup.transportErrorCount();
        checks.add(new Check("no transport errors", transport == 0, transport + " " + soak.transportErrors()));
        checks.add(new Check("live NDArrays at idle the same before and after",
                f.get("ndarrays_idle_after_warmup").equals(f.get("ndarrays_idle_after_run")),
                String.format("%.0f after warm-up, %.0f after %d requests (peak %.0f while running)",
                        f.get("ndarrays_idle_after_warmup"), f.get("ndarrays_idle_after_run"), soak.requests(),
                        f.get("ndarrays_peak"))));
        checks.add(new Check("open NDManagers at idle the same before and after",
                f.get("managers_idle_after_warmup").equals(f.get("managers_idle_after_run")),
                String.format("%.0f after warm-up, %.0f after the run", f.get("managers_idle_after_warmup"),
                        f.get("managers_idle_after_run"))));
        String rss = String.format("RSS %.1f MiB after warm-up, %.1f MiB after the run (%+.1f %%), peak %.1f MiB",
                f.get("rss_after_warmup_kib") / 1024, f.get("rss_after_run_kib") / 1024, growth * 100,
                f.get("rss_peak_kib") / 1024);
        if (Double.isNaN(plan.maxRssGrowth())) {
            checks.add(new Check("(logged, not asserted) RSS growth after warm-up", true, rss));
        } else {
            boolean known = f.get("rss_after_warmup_kib") > 0;
            checks.add(new Check(String.format("RSS growth after warm-up ≤ %.0f %%", plan.maxRssGrowth() * 100),
                    known && growth <= plan.maxRssGrowth(), known ? rss : "RSS unknown (no pid)"));
        }
        return checks;
    }
}
