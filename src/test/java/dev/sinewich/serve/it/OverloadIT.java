package dev.sinewich.serve.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.bench.load.Api;
import dev.sinewich.serve.bench.load.Caller;
import dev.sinewich.serve.bench.load.Check;
import dev.sinewich.serve.bench.load.OverloadRun;
import dev.sinewich.serve.bench.load.ServerUnderTest;
import dev.sinewich.serve.bench.load.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A short overload run on the packaged jar (the full one is {@code bench/overload.sh}): capacity
 * measured for a few seconds, then twice that rate, open loop, over REST (native and OIP) and gRPC.
 * Asserts what must hold on any machine: every response a success or an explicit 429/503
 * (RESOURCE_EXHAUSTED/UNAVAILABLE) — so no request outlived its deadline, which the server would
 * answer 504 — no connection reset, refused or timed out, and the server alive and ready after.
 * Latencies, the recovery ratio and whether load was shed are logged, not asserted: on a shared
 * 2-core CI machine they measure the neighbours as much as the server.
 */
class OverloadIT {

    @Test
    void twiceTheCapacityGetsAnswersOrExplicitRefusalsAndNoTransportErrors() throws Exception {
        Duration deadline = Duration.ofSeconds(3);
        Map<String, String> env = Map.of("SINEWICH_INFERENCE_TIMEOUT", deadline.toMillis() + "ms",
                "SINEWICH_INFERENCE_QUEUE_CAPACITY", "8");
        try (ServerUnderTest server = ServerUnderTest.start(ServerProcess.JAR, env, Path.of("target/it-overload-server.log"))) {
            server.awaitReady(Duration.ofSeconds(120));
            String model = server.model();
            Workload workload = Workload.of(7, Api.parse("rest_native,rest_oip,grpc_native"), server.tasks(model),
                    Workload.sizes("64x64,160x120"), 0.2);
            OverloadRun.Plan plan = new OverloadRun.Plan(Duration.ofSeconds(3), Duration.ofSeconds(5), 8,
                    Duration.ofSeconds(4), Duration.ofSeconds(12), Duration.ofSeconds(4), 2.0, 0.5, deadline, false,
                    Double.NaN, 7);
            OverloadRun.Result result;
            try (Caller caller = new Caller(server.baseUrl(), server.grpcHost(), server.grpcPort(), model,
                    deadline.plusSeconds(10))) {
                result = OverloadRun.run(server, caller, workload, plan, System.out);
            }
            String report = String.format("capacity %.1f/s, RSS KiB %s%n", result.capacity(), result.memory())
                    + result.checks().stream().map(Check::text).collect(Collectors.joining("\n"));
            System.out.println(report);
            assertTrue(result.passed(), report);
        }
    }
}
