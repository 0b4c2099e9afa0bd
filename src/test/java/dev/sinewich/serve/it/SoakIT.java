package dev.sinewich.serve.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.bench.load.Api;
import dev.sinewich.serve.bench.load.Caller;
import dev.sinewich.serve.bench.load.Check;
import dev.sinewich.serve.bench.load.ServerUnderTest;
import dev.sinewich.serve.bench.load.SoakRun;
import dev.sinewich.serve.bench.load.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A short soak on the packaged jar (the full one is {@code bench/soak.sh}): 1,000 mixed requests
 * over REST and gRPC after 200 of warm-up. Asserts that every request succeeded without a
 * transport error and that the live NDArray and NDManager counts at idle are exactly the same after
 * the run as after the warm-up — an exact, machine-independent leak check. RSS growth is logged
 * only: over 1,000 requests the allocator and the JIT still move RSS by a few percent, so a bound
 * tight enough to catch a leak would fail on noise; the full soak asserts ≤ 5 % over 10,000.
 */
class SoakIT {

    @Test
    void aThousandMixedRequestsLeaveNoNativeArraysBehind() throws Exception {
        try (ServerUnderTest server = ServerUnderTest.start(ServerProcess.JAR, Map.of(), Path.of("target/it-soak-server.log"))) {
            server.awaitReady(Duration.ofSeconds(120));
            String model = server.model();
            Workload workload = Workload.of(11, Api.parse("rest_native,rest_oip,grpc_native"), server.tasks(model),
                    Workload.sizes("64x64,160x120"), 0.2);
            SoakRun.Result result;
            try (Caller caller = new Caller(server.baseUrl(), server.grpcHost(), server.grpcPort(), model,
                    Duration.ofSeconds(60))) {
                result = SoakRun.run(server, caller, workload, new SoakRun.Plan(200, 1000, 4, Double.NaN), System.out);
            }
            String report = "figures " + result.figures() + "\n"
                    + result.checks().stream().map(Check::text).collect(Collectors.joining("\n"));
            System.out.println(report);
            assertTrue(result.passed(), report);
        }
    }
}
