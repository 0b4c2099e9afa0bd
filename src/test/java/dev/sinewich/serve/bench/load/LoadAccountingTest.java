package dev.sinewich.serve.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the generator draws its mix and counts outcomes, without a server. */
class LoadAccountingTest {

    private static final List<String> TASKS = List.of("semseg", "depth", "normals", "saliency");

    @Test
    void theSameSeedGivesTheSameRequestSequence() {
        List<String> a = draw(Workload.of(5, List.of(Api.values()), TASKS, Workload.sizes("8x8,16x12"), 0.3), 200);
        List<String> b = draw(Workload.of(5, List.of(Api.values()), TASKS, Workload.sizes("8x8,16x12"), 0.3), 200);
        List<String> c = draw(Workload.of(6, List.of(Api.values()), TASKS, Workload.sizes("8x8,16x12"), 0.3), 200);
        assertEquals(a, b);
        assertNotEquals(a, c);
    }

    @Test
    void oipRequestsAskForOneTaskAndNativeOnesSometimesForTwo() {
        Workload w = Workload.of(1, List.of(Api.values()), TASKS, Workload.sizes("8x8"), 0.5);
        int multi = 0;
        for (int i = 0; i < 500; i++) {
            Workload.Shot s = w.next();
            if (s.api() == Api.REST_OIP) {
                assertEquals(1, s.tasks().size());
            } else if (s.tasks().size() == 2) {
                multi++;
            }
            assertEquals(8 * 8 * 3, s.image().rgb().length);
        }
        assertTrue(multi > 50, "two-task requests drawn: " + multi);
    }

    @Test
    void outcomesAreCountedBySuccessRefusalOtherStatusAndTransportError() {
        Phase phase = new Phase("p");
        for (int ms = 1; ms <= 100; ms++) {
            phase.add(new Outcome(Api.REST_NATIVE, "http 200", null, ms * 1_000_000L));
        }
        phase.add(new Outcome(Api.REST_OIP, "http 429", null, 1));
        phase.add(new Outcome(Api.GRPC_NATIVE, "grpc RESOURCE_EXHAUSTED", null, 1));
        phase.add(new Outcome(Api.GRPC_NATIVE, "grpc DEADLINE_EXCEEDED", null, 1));
        phase.add(Outcome.transport(Api.REST_NATIVE, "connection_reset", 1));
        Summary s = phase.summary(10, 2);
        assertEquals(104, s.requests());
        assertEquals(100, s.successes());
        assertEquals(2, s.rejected());
        assertEquals(1, s.otherStatuses());
        assertEquals(Map.of("connection_reset", 1L), s.transportErrors());
        assertEquals(50.0, s.successRate());
        assertEquals(50.0, s.latency().p50());
        assertEquals(90.0, s.latency().p90());
        assertEquals(99.0, s.latency().p99());
        assertEquals(100.0, s.latency().max());
    }

    private static List<String> draw(Workload w, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Workload.Shot s = w.next();
            out.add(s.api() + " " + s.tasks() + " " + s.image().width());
        }
        return out;
    }
}
