package dev.sinewich.serve.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.sinewich.serve.bundle.Bundle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Runtime properties of a loaded model beyond numerics: ownership, thread-safety, batching, errors. */
class ModelRuntimeTest {

    private static final Map<String, SinewichModel> MODELS = new java.util.HashMap<>();

    @BeforeAll
    static void load() {
        try (Bundle bundle = Bundle.open(ConformanceTest.ROOT.resolve("s2_lora_lowpass_clock/bundle"))) {
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
    void residentManagerRefusesNewArraysAfterLoad(String engine) {
        SinewichModel model = MODELS.get(engine);
        assertThrows(IllegalStateException.class, () -> model.residentManager().create(1f));
        model.predict(TestImages.random(1, 32, 32, 1), "depth", Set.of());
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void concurrentCallsGiveTheSameResultsAsSequentialOnes(String engine) throws Exception {
        SinewichModel model = MODELS.get(engine);
        List<ImageBatch> inputs = new ArrayList<>();
        List<float[]> sequential = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            inputs.add(TestImages.random(1, 17 + i, 29 - i, i));
            sequential.add(model.predict(inputs.get(i), "saliency", Set.of()).get(0).floats());
        }
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (ImageBatch in : inputs) {
                futures.add(pool.submit(() -> model.predict(in, "saliency", Set.of()).get(0).floats()));
            }
            for (int i = 0; i < inputs.size(); i++) {
                assertArrayEquals(sequential.get(i), futures.get(i).get(), 1e-6f, "image " + i);
            }
        } finally {
            pool.shutdown();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void aBatchEqualsItsImagesRunOneByOne(String engine) {
        SinewichModel model = MODELS.get(engine);
        ImageBatch batch = TestImages.random(3, 20, 24, 7);
        int plane = 3 * 20 * 24;
        float[] together = model.predict(batch, "normals", Set.of()).get(0).floats();
        int out = 3 * 20 * 24;
        for (int i = 0; i < 3; i++) {
            float[] one = new float[plane];
            System.arraycopy(batch.pixels(), i * plane, one, 0, plane);
            float[] alone = model.predict(new ImageBatch(1, 20, 24, one), "normals", Set.of()).get(0).floats();
            for (int j = 0; j < out; j++) {
                assertEquals(alone[j], together[i * out + j], 1e-5f, "image " + i + " element " + j);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void unknownTasksAndOutputsAreCallerErrors(String engine) {
        SinewichModel model = MODELS.get(engine);
        ImageBatch img = TestImages.random(1, 8, 8, 3);
        InvalidInputException task = assertThrows(InvalidInputException.class,
                () -> model.predict(img, "sky", Set.of()));
        assertTrue(task.getMessage().contains("semseg"), task.getMessage());
        InvalidInputException output = assertThrows(InvalidInputException.class,
                () -> model.predict(img, "depth", Set.of("labels")));
        assertTrue(output.getMessage().contains("depth"), output.getMessage());
        assertThrows(InvalidInputException.class, () -> new ImageBatch(1, 8, 8, new float[10]));
    }

    /**
     * One-pixel-high and one-pixel-wide images (the output resize's edge case) and a shrunk one:
     * the ONNX Runtime engine gives what the PyTorch engine gives, which the conformance suite
     * holds to the reference.
     */
    @org.junit.jupiter.api.Test
    void enginesAgreeOnThinAndTinyImages() {
        for (int[] size : new int[][] {{1, 37}, {29, 1}, {1, 1}, {5, 3}}) {
            ImageBatch img = TestImages.random(1, size[0], size[1], 17);
            for (String task : List.of("semseg", "depth", "normals", "saliency")) {
                Set<String> outputs = task.equals("semseg") ? Set.of("labels", "probabilities") : Set.of();
                var ort = MODELS.get("onnxruntime").predict(img, task, outputs);
                var torch = MODELS.get("pytorch").predict(img, task, outputs);
                String what = task + " at " + size[0] + "x" + size[1];
                assertEquals(torch.size(), ort.size(), what);
                for (int o = 0; o < ort.size(); o++) {
                    assertArrayEquals(torch.get(o).shape(), ort.get(o).shape(), what);
                    assertArrayEquals(TestImages.values(torch.get(o)), TestImages.values(ort.get(o)), 1e-4f, what);
                }
            }
        }
    }
}
