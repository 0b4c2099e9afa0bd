package dev.sinewich.serve.serving;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.imaging.PatternImages;
import dev.sinewich.serve.model.KernelStats;
import dev.sinewich.serve.model.SinewichModel;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The scheduler, engine and kernel settings reach the running server from configuration
 * properties, each set here to a value other than its default: {@code sinewich.inference.workers}
 * (worker threads), {@code sinewich.model.engine}, and {@code sinewich.kernels.policy}, {@code budget} and
 * {@code preload} (tasks materialised at start-up, so that their first request is a hit).
 */
@QuarkusTest
@TestProfile(ConfigWiringTest.Wired.class)
class ConfigWiringTest {

    private static final String MODEL = "s4-mixed-downscale";

    /** Settings other than the defaults. */
    public static class Wired implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.inference.workers", "3",
                    "sinewich.model.engine", "pytorch", "sinewich.kernels.policy", "cache",
                    "sinewich.kernels.budget", "250000", "sinewich.kernels.pin", "semseg",
                    "sinewich.kernels.preload", "semseg,depth");
        }
    }

    @Inject
    ModelService models;

    @Test
    void everySettingReachesTheServer() {
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

        given().contentType("image/png").body(PatternImages.png(20, 30))
                .post("/v1/models/" + MODEL + "/predict?task=semseg").then().statusCode(200);
        KernelStats after = model.kernelStats();
        assertEquals(atStart.hits() + 1, after.hits(), "the pinned task was never evicted: " + after);
        assertEquals(atStart.misses(), after.misses(), after.toString());
    }
}
