package dev.sinewich.serve.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The overload check: measure capacity (closed-loop saturation throughput of the mix), offer a
 * baseline at a fraction of it, then {@code factor} × capacity, then the fraction again to watch the
 * recovery, all open loop. Every response must be a success or an explicit refusal, no request may
 * lose its connection or time out, and the server must survive. Timing properties (accepted
 * requests within the deadline, recovery latency back near the baseline) and whether load was shed
 * at all (which depends on the capacity estimate) are checked only when asked, since a shared CI
 * machine makes times and capacity estimates unreliable. A request that outlives its deadline is
 * answered 504 / DEADLINE_EXCEEDED by the server, which fails the status property in any case. Not thread-safe (one run).
 */
public final class OverloadRun {

    /**
     * The shape of a run.
     *
     * @param warmup closed-loop warm-up before measuring
     * @param capacityTime how long capacity is measured
     * @param clients requests in flight while measuring capacity
     * @param baseline how long the pre-overload phase runs
     * @param overload how long the overload phase runs
     * @param recovery how long the recovery phase runs
     * @param factor the overload rate as a multiple of capacity
     * @param calmFactor the baseline and recovery rate as a multiple of capacity
     * @param deadline the server's configured request deadline
     * @param strict whether the machine-dependent properties are asserted (deadline and recovery times, load shed at the measured capacity)
     * @param maxRecoveryRatio the largest recovery p50 ÷ baseline p50 that passes
     * @param seed the seed of arrival times
     */
    public record Plan(Duration warmup, Duration capacityTime, int clients, Duration baseline, Duration overload,
            Duration recovery, double factor, double calmFactor, Duration deadline, boolean strict,
            double maxRecoveryRatio, long seed) {}

    /**
     * What a run found.
     *
     * @param capacity the measured saturation throughput, requests/s
     * @param phases the phases' summaries, in order
     * @param checks the properties and verdicts
     * @param memory RSS readings in KiB (before, peak during overload, after)
     */
    public record Result(double capacity, List<Summary> phases, List<Check> checks, Map<String, Long> memory) {

        /**
         * Tells whether every property held.
         *
         * @return true when all checks passed
         */
        public boolean passed() {
            return checks.stream().allMatch(Check::passed);
        }
    }

    private OverloadRun() {}

    /**
     * Runs the check.
     *
     * @param server the server, ready
     * @param caller the client
     * @param workload the request mix
     * @param plan the shape of the run
     * @param progress where phase summaries are printed as they finish
     * @return the findings
     * @throws Exception if the run cannot be carried out
     */
    public static Result run(ServerUnderTest server, Caller caller, Workload workload, Plan plan,
            java.io.PrintStream progress) throws Exception {
        Duration drain = plan.deadline().plusSeconds(15);
        List<Summary> phases = new ArrayList<>();
        Drivers.closedLoop(caller, workload, new Phase("warmup"), plan.clients(), Long.MAX_VALUE, plan.warmup(), drain);
        Summary capacityPhase = Drivers.closedLoop(caller, workload, new Phase("capacity"), plan.clients(),
                Long.MAX_VALUE, plan.capacityTime(), drain);
        phases.add(capacityPhase);
        progress.print(capacityPhase.text());
        double capacity = capacityPhase.successRate();
        if (capacity <= 0) {
            throw new IllegalStateException("no request succeeded while measuring capacity: " + capacityPhase.byStatus());
        }
        long rssBefore = server.rssKiB();
        Summary baseline = Drivers.openLoop(caller, workload, new Phase("baseline"), plan.calmFactor() * capacity,
                plan.baseline(), plan.seed(), drain);
        phases.add(baseline);
        progress.print(baseline.text());
        Summary overload;
        long peak;
        try (RssSampler sampler = new RssSampler(server, 500)) {
            overload = Drivers.openLoop(caller, workload, new Phase("overload"), plan.factor() * capacity,
                    plan.overload(), plan.seed() + 1, drain);
            peak = sampler.peakRssKiB();
        }
        phases.add(overload);
        progress.print(overload.text());
        Summary recovery = Drivers.openLoop(caller, workload, new Phase("recovery"), plan.calmFactor() * capacity,
                plan.recovery(), plan.seed() + 2, drain);
        phases.add(recovery);
        progress.print(recovery.text());
        boolean alive = server.aliveAndReady();
        Map<String, Long> memory = new LinkedHashMap<>();
        memory.put("rss_before_kib", rssBefore);
        memory.put("rss_peak_during_overload_kib", peak);
        memory.put("rss_after_kib", server.rssKiB());
        return new Result(capacity, phases, checks(plan, phases, baseline, overload, recovery, alive), memory);
    }

    private static List<Check> checks(Plan plan, List<Summary> phases, Summary baseline, Summary overload,
            Summary recovery, boolean alive) {
        List<Check> checks = new ArrayList<>();
        long unexpected = phases.stream().mapToLong(Summary::otherStatuses).sum();
        checks.add(new Check("every response is a success or an explicit 429/503 (RESOURCE_EXHAUSTED/UNAVAILABLE)",
                unexpected == 0, "overload statuses " + overload.byStatus() + "; other statuses in all phases: "
                        + unexpected));
        long transport = phases.stream().mapToLong(Summary::transportErrorCount).sum();
        checks.add(new Check("no transport errors (resets, refused connections, timeouts)", transport == 0,
                transport + " in all phases" + (transport == 0 ? "" : ": " + phases.stream()
                        .map(p -> p.phase() + " " + p.transportErrors()).toList())));
        checks.add(new Check("the server survives, ready", alive, alive ? "ready after the run" : "not ready"));
        double ratio = baseline.latency().p50() > 0 ? recovery.latency().p50() / baseline.latency().p50() : Double.NaN;
        String ratioText = String.format("recovery p50 %.1f ms ÷ baseline p50 %.1f ms = %.2f",
                recovery.latency().p50(), baseline.latency().p50(), ratio);
        String deadlineText = String.format("slowest success in overload %.0f ms, deadline %d ms",
                overload.latency().max(), plan.deadline().toMillis());
        String shed = overload.rejected() + " of " + overload.requests() + " refused";
        if (plan.strict()) {
            checks.add(new Check("the server sheds load explicitly at " + plan.factor() + "x capacity",
                    overload.rejected() > 0, shed));
            checks.add(new Check("accepted requests finish within the deadline",
                    overload.latency().max() <= plan.deadline().toMillis(), deadlineText));
            checks.add(new Check("recovery latency back to the pre-overload level (ratio ≤ " + plan.maxRecoveryRatio()
                    + ")", ratio <= plan.maxRecoveryRatio(), ratioText));
        } else {
            checks.add(new Check("(logged, not asserted) load shed, deadline and recovery", true,
                    shed + "; " + deadlineText + "; " + ratioText));
        }
        return checks;
    }
}
