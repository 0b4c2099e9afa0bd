package dev.sinewich.serve.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.bundle.SafetensorsFile;
import dev.sinewich.serve.bundle.SinewichConfig;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every conformance case made by {@code tools/reference/make_fixtures.py} (torchvision's own
 * Swin plus the SPEC forward in PyTorch), and the embedded default model against
 * {@code tools/train/make_default_fixture.py}, and requires every output within 1e-4; labels are compared
 * where the reference's top-2 probability margin exceeds 1e-4.
 */
class ConformanceTest {

    static final Path ROOT = Paths.get("src/test/resources/conformance");
    private static final float TOLERANCE = 1e-4f;

    static final List<String> CASES = List.of(
            "s2_lora_lowpass_clock",
            "s3_nolora_omega_batch2",
            "s4_mixed_downscale",
            "s3_upscale_f16",
            "s2_bf16_dotted");

    static Stream<Arguments> casesAndEngines() {
        return CASES.stream().flatMap(c -> Engines.NAMES.stream().map(e -> Arguments.of(c, e)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("casesAndEngines")
    void matchesTheReference(String name, String engine) {
        assertMatchesReference(ROOT.resolve(name), engine);
    }

    /**
     * The trained model embedded in the jar, against tools/train/make_default_fixture.py's outputs
     * on two held-out synthetic scenes.
     */
    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void theEmbeddedDefaultModelMatchesTheReference(String engine) {
        check(Paths.get("src/main/resources/default-model"), ROOT.resolve("default_model/io.safetensors"), engine);
    }

    /**
     * Loads {@code dir/bundle} with the real model on an engine and checks every task's outputs for
     * the input in {@code dir/io.safetensors} (the fixture layout of {@code tools/reference/README.md}).
     */
    static void assertMatchesReference(Path dir, String engine) {
        check(dir.resolve("bundle"), dir.resolve("io.safetensors"), engine);
    }

    private static void check(Path bundleDir, Path ioFile, String engine) {
        try (Bundle bundle = Bundle.open(bundleDir);
                SinewichModel model = SinewichModel.load(bundle, Device.cpu(), KernelSettings.ON_THE_FLY,
                        new EngineSettings(engine, 0));
                SafetensorsFile io = SafetensorsFile.open(ioFile, "io.safetensors")) {
            assertEquals(engine, model.engine());
            long[] shape = io.tensors().get("input").shape();
            ImageBatch images = new ImageBatch((int) shape[0], (int) shape[2], (int) shape[3], io.readFloats("input"));
            for (SinewichConfig.Task task : model.config().tasks()) {
                String t = task.name();
                assertArrayEquals(io.readFloats("debug/" + t + "/omega"), model.frequencies(t), 1e-6f, t + " omega");
                Set<String> all = new LinkedHashSet<>(task.kind().outputNames());
                List<OutputTensor> outputs = model.predict(images, t, all);
                assertEquals(all.size(), outputs.size(), t);
                for (OutputTensor out : outputs) {
                    String key = t + "/" + out.name();
                    SafetensorsFile.TensorInfo expected = io.tensors().get(key);
                    assertNotNull(expected, key);
                    assertArrayEquals(expected.shape(), out.shape(), key + " shape");
                    if (out.ints() != null) {
                        ReferenceLabels.assertConfidentLabels(key, io.readLongs(key), out.ints(), io.readFloats(t + "/margin"),
                                TOLERANCE);
                    } else {
                        assertClose(key, io.readFloats(key), out.floats());
                    }
                }
            }
        }
    }

    static void assertClose(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + " length");
        float worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            float d = Math.abs(expected[i] - actual[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        float w = worst;
        int i = at;
        assertTrue(worst <= TOLERANCE, () -> what + ": max |diff| " + w + " at " + i + " (expected "
                + expected[i] + ", found " + actual[i] + ")");
    }
}
