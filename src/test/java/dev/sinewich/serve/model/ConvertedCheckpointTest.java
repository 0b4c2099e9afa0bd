package dev.sinewich.serve.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.bundle.Bundle;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A Microsoft/MTLoRA-named PyTorch checkpoint converted by {@code tools/convert/convert_checkpoint.py}
 * (fixture made by {@code tools/convert/make_fixture.py}) serves the same outputs, within 1e-4, as the
 * original model computed by the torchvision-based reference before conversion.
 */
class ConvertedCheckpointTest {

    private static final Path CASE = Paths.get("src/test/resources/conversion/ms_swin_mtlora");

    @ParameterizedTest
    @MethodSource("dev.sinewich.serve.model.Engines#names")
    void convertedBundleMatchesTheOriginalModel(String engine) {
        ConformanceTest.assertMatchesReference(CASE, engine);
    }

    @Test
    void convertedBundleCarriesTheInferredBackbone() {
        try (Bundle bundle = Bundle.open(CASE.resolve("bundle"))) {
            var backbone = bundle.config().backbone();
            assertEquals(2, backbone.patchSize());
            assertEquals(8, backbone.embedDim());
            assertEquals(List.of(2, 1, 2), backbone.depths());
            assertEquals(4, backbone.windowSize());
            assertEquals(1.7, backbone.mlpRatio(), 1e-12);
            assertEquals(List.of(13, 27, 54), List.of(backbone.mlpHidden(0), backbone.mlpHidden(1), backbone.mlpHidden(2)));
            assertTrue(bundle.config().lora() != null, "LoRA kept");
        }
    }
}
