package dev.sinewich.serve.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.sinewich.serve.bundle.Bundle;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Task-kernel policies on every engine: identical outputs, LRU under a byte budget, pinning,
 * preloading, auto.
 */
class KernelPolicyTest {

    private static final String BUNDLE = "s4_mixed_downscale/bundle";
    private static final List<String> TASKS = List.of("semseg", "depth", "normals", "saliency", "edges");

    private static <T> T withModel(String engine, KernelSettings settings, Function<SinewichModel, T> use) {
        try (Bundle bundle = Bundle.open(ConformanceTest.ROOT.resolve(BUNDLE));
                SinewichModel model = SinewichModel.load(bundle, Device.cpu(), settings, Engines.of(engine))) {
            assertEquals(engine, model.engine());
            return use.apply(model);
        }
    }

    private static long perTask(String engine) {
        return withModel(engine, KernelSettings.ON_THE_FLY, m -> m.memory().taskWeightsEach());
    }

    private static float[] run(SinewichModel model, String task) {
        return TestImages.values(model.predict(TestImages.random(2, 23, 35, 11), task, Set.of()).get(0));
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void everyPolicyGivesTheSameOutputs(String engine) {
        long budget = 10 * perTask(engine);
        List<float[]> fly = withModel(engine, KernelSettings.ON_THE_FLY, m -> TASKS.stream().map(t -> run(m, t)).toList());
        KernelSettings cache = new KernelSettings("cache", budget, Set.of(), Set.of());
        List<float[]> cached = withModel(engine, cache, m -> {
            List<float[]> first = TASKS.stream().map(t -> run(m, t)).toList();
            List<float[]> again = TASKS.stream().map(t -> run(m, t)).toList();
            assertEquals(TASKS.size(), m.kernelStats().misses());
            assertEquals(TASKS.size(), m.kernelStats().hits());
            for (int i = 0; i < TASKS.size(); i++) {
                assertArrayEquals(first.get(i), again.get(i), TASKS.get(i) + ": a hit equals the miss");
            }
            return first;
        });
        for (int i = 0; i < TASKS.size(); i++) {
            assertArrayEquals(fly.get(i), cached.get(i), 1e-5f, TASKS.get(i));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void cacheEvictsTheLeastRecentlyUsedTaskToStayUnderBudget(String engine) {
        long each = perTask(engine);
        KernelSettings two = new KernelSettings("cache", 2 * each, Set.of(), Set.of());
        withModel(engine, two, m -> {
            run(m, "depth");
            run(m, "normals");
            run(m, "depth");
            assertStats(m.kernelStats(), 1, 2, 0, 2 * each);
            run(m, "saliency"); // evicts normals, the least recently used
            assertStats(m.kernelStats(), 1, 3, 1, 2 * each);
            run(m, "depth");
            assertStats(m.kernelStats(), 2, 3, 1, 2 * each);
            run(m, "normals"); // evicted before: a miss again; evicts saliency
            assertStats(m.kernelStats(), 2, 4, 2, 2 * each);
            assertTrue(m.memory().taskWeightCache() <= 2 * each);
            return null;
        });
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void pinnedTasksStayAndPreloadedTasksHitFirstTime(String engine) {
        long each = perTask(engine);
        KernelSettings settings = new KernelSettings("cache", each, Set.of("depth"), Set.of("depth"));
        withModel(engine, settings, m -> {
            assertStats(m.kernelStats(), 0, 1, 0, each);
            run(m, "depth");
            assertStats(m.kernelStats(), 1, 1, 0, each);
            run(m, "semseg"); // no room beside the pinned task: served, not kept
            run(m, "depth");
            assertStats(m.kernelStats(), 2, 2, 0, each);
            return null;
        });
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void taskLargerThanTheBudgetIsServedOnTheFly(String engine) {
        KernelSettings tiny = new KernelSettings("cache", perTask(engine) - 1, Set.of(), Set.of());
        withModel(engine, tiny, m -> {
            run(m, "depth");
            run(m, "depth");
            assertEquals(0, m.kernelStats().residentBytes());
            assertEquals(2, m.kernelStats().misses());
            return null;
        });
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void autoPicksTheCacheOnCpuWhenATaskFits(String engine) {
        long each = perTask(engine);
        assertEquals("cache", withModel(engine, new KernelSettings("auto", each, Set.of(), Set.of()),
                m -> m.kernelStats().policy()));
        assertEquals("on-the-fly", withModel(engine, new KernelSettings("auto", each - 1, Set.of(), Set.of()),
                m -> m.kernelStats().policy()));
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void unknownPinnedTaskAndPolicyAreRejected(String engine) {
        assertThrows(IllegalArgumentException.class,
                () -> withModel(engine, new KernelSettings("cache", 1, Set.of("sky"), Set.of()), m -> null));
        assertThrows(IllegalArgumentException.class, () -> new KernelSettings("lru", 1, Set.of(), Set.of()));
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void memoryIsAccountedByPart(String engine) {
        withModel(engine, KernelSettings.ON_THE_FLY, m -> {
            ResidentMemory mem = m.memory();
            assertTrue(mem.backbone() > mem.fusedKernels() && mem.fusedKernels() > 0, mem.toString());
            assertEquals(TASKS, List.copyOf(mem.heads().keySet()));
            assertEquals(mem.taskWeightsEach(), mem.fusedKernels(), "W_t has the shape of M");
            return null;
        });
    }

    private static void assertStats(KernelStats s, long hits, long misses, long evictions, long bytes) {
        assertEquals(hits, s.hits(), "hits " + s);
        assertEquals(misses, s.misses(), "misses " + s);
        assertEquals(evictions, s.evictions(), "evictions " + s);
        assertEquals(bytes, s.residentBytes(), "resident bytes " + s);
    }
}
