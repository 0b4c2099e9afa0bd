package dev.sinewich.serve.serving;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import dev.sinewich.serve.imaging.PatternImages;
import dev.sinewich.serve.model.KernelStats;
import dev.sinewich.serve.model.SinewichModel;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The scheduler, engine and kernel settings reach the running server from configuration
 * properties, each set here to a value other than its default: {@code sinewich.inference.workers}
 * (worker threads), {@code threads} (libtorch's intra-op threads), {@code max-delay} and
 * {@code max-batch-size} (a request waits for a second one, and their pass starts as soon as the two
 * fill it), {@code sinewich.model.engine}, and {@code sinewich.kernels.policy}, {@code budget}, {@code pin}
 * and {@code preload} (tasks materialised at start-up, so that their first request is a hit).
 */
@QuarkusTest
@TestProfile(ConfigWiringTest.Wired.class)
class ConfigWiringTest {

    private static final String MODEL = "s4-mixed-downscale";

    /** Settings other than the defaults. */
    public static class Wired implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.inference.workers", "3", "sinewich.inference.threads", "3",
                    "sinewich.inference.max-delay", "120s", "sinewich.inference.max-batch-size", "2",
                    "sinewich.model.engine", "pytorch", "sinewich.kernels.policy", "cache",
                    "sinewich.kernels.budget", "250000", "sinewich.kernels.pin", "semseg",
                    "sinewich.kernels.preload", "semseg,depth");
        }
    }

    @Inject
    ModelService models;

    @Inject
    InferenceService inference;

    @Test
    void everySettingReachesTheServer() throws InterruptedException {
        Set<String> workers = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("sinewich-inference-")).collect(Collectors.toSet());
        assertEquals(Set.of("sinewich-inference-1", "sinewich-inference-2", "sinewich-inference-3"), workers);

        SinewichModel model = models.model(MODEL);
        assertEquals("pytorch", model.engine());
        KernelStats atStart = model.kernelStats();
        assertEquals("cache", atStart.policy());
        assertEquals(250_000, atStart.budgetBytes());
        // the warm-up pass runs every task once: the two preloaded ones were materialised before it
        assertEquals(2, atStart.hits(), "preloaded tasks are hits in the warm-up pass: " + atStart);
        assertEquals(model.tasks().size(), atStart.misses(), atStart.toString());
        assertTrue(atStart.evictions() > 0, "the budget holds fewer tasks than the model has: " + atStart);

        // the first request waits (max-delay far beyond the test) until a second one fills the pass
        // (max-batch-size 2 rows); with either setting at its default they would run in two passes,
        // or the first would wait past its timeout
        BatchScheduler scheduler = inference.scheduler();
        long passes = scheduler.stats().passes();
        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(ConfigWiringTest::predictSemseg);
        long until = System.nanoTime() + 30_000_000_000L;
        while (scheduler.unfinished() < 1 && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertEquals(1, scheduler.unfinished(), "the first request is accepted and waits for a second one");
        assertEquals(200, predictSemseg());
        assertEquals(200, first.join());
        assertEquals(passes + 1, scheduler.stats().passes(), "both requests ran in one pass");

        KernelStats after = model.kernelStats();
        assertEquals(atStart.hits() + 1, after.hits(), "the pinned task was never evicted: " + after);
        assertEquals(atStart.misses(), after.misses(), after.toString());

        assertEquals(3, JniUtils.getNumThreads(), "libtorch's intra-op threads");
    }

    private static int predictSemseg() {
        return given().contentType("image/png").body(PatternImages.png(20, 30))
                .post("/v1/models/" + MODEL + "/predict?task=semseg").then().extract().statusCode();
    }
}
