package dev.sinewich.serve.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.sinewich.serve.bundle.Bundle;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One pass over requests of different tasks, image sizes and multi-task requests gives what
 * separate single-task calls give (within 1e-5).
 */
class MixedBatchTest {

    private static final Map<String, SinewichModel> MODELS = new java.util.HashMap<>();

    @BeforeAll
    static void load() {
        try (Bundle bundle = Bundle.open(ConformanceTest.ROOT.resolve("s4_mixed_downscale/bundle"))) {
            for (String engine : Engines.NAMES) {
                MODELS.put(engine, SinewichModel.load(bundle, Device.cpu(), KernelSettings.ON_THE_FLY, Engines.of(engine)));
            }
        }
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(SinewichModel::close);
    }


    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void mixedTasksSizesAndMultiTaskRequestsEqualSeparateCalls(String engine) {
        SinewichModel model = MODELS.get(engine);
        List<ForwardItem> items = List.of(
                ForwardItem.of(TestImages.random(2, 20, 24, 1), "depth", Set.of()),
                ForwardItem.of(TestImages.random(1, 31, 17, 2), "semseg", Set.of("labels", "probabilities")),
                ForwardItem.of(TestImages.random(1, 20, 24, 3), "normals", Set.of()),
                new ForwardItem(TestImages.random(1, 25, 25, 4), List.of("saliency", "depth", "semseg"), Set.of("probabilities")),
                ForwardItem.of(TestImages.random(1, 64, 40, 5), "depth", Set.of()),
                ForwardItem.of(TestImages.random(1, 9, 9, 6), "edges", Set.of()));
        List<Map<String, List<OutputTensor>>> together = model.predictBatch(items);
        assertEquals(items.size(), together.size());
        for (int i = 0; i < items.size(); i++) {
            ForwardItem item = items.get(i);
            assertEquals(item.tasks(), List.copyOf(together.get(i).keySet()), "task order of item " + i);
            for (String task : item.tasks()) {
                Set<String> own = new java.util.HashSet<>(item.outputs());
                own.retainAll(model.config().task(task).kind().outputNames());
                List<OutputTensor> alone = model.predict(item.images(), task, own);
                assertSame(alone, together.get(i).get(task), "item " + i + " task " + task);
            }
        }
        List<OutputTensor> named = together.get(3).get("semseg");
        assertEquals(1, named.size(), "only the named output of the kind");
        assertEquals("probabilities", named.get(0).name());
        assertEquals(1, together.get(3).get("depth").size(), "depth gives its default when none of its outputs is named");
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void multiTaskRequestEqualsOneRequestPerTask(String engine) {
        SinewichModel model = MODELS.get(engine);
        ImageBatch img = TestImages.random(2, 30, 44, 9);
        List<String> all = List.of("semseg", "depth", "normals", "saliency", "edges");
        Map<String, List<OutputTensor>> together = model.predictBatch(
                List.of(new ForwardItem(img, all, Set.of()))).get(0);
        for (String task : all) {
            assertSame(model.predict(img, task, Set.of()), together.get(task), task);
        }
    }

    private static void assertSame(List<OutputTensor> expected, List<OutputTensor> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int k = 0; k < expected.size(); k++) {
            OutputTensor e = expected.get(k);
            OutputTensor a = actual.get(k);
            assertEquals(e.name(), a.name(), what);
            assertArrayEquals(e.shape(), a.shape(), what + " " + e.name());
            if (e.floats() != null) {
                assertArrayEquals(e.floats(), a.floats(), 1e-5f, what + " " + e.name());
            } else {
                int differ = 0;
                for (int j = 0; j < e.ints().length; j++) {
                    differ += e.ints()[j] == a.ints()[j] ? 0 : 1;
                }
                // a label may flip only where two classes tie to within rounding
                assertTrue(differ <= e.ints().length / 1000, what + ": " + differ + " labels differ");
            }
        }
    }
}
