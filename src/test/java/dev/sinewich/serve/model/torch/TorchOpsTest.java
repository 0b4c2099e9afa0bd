package dev.sinewich.serve.model.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sinewich.serve.model.TensorStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The output resize of SPEC §4.8 is plain bilinear (no antialiasing) in both directions. */
class TorchOpsTest {

    @BeforeAll
    static void engine() {
        TensorStore.disableGradOnThisThread();
    }

    @Test
    void halvingAveragesEachTwoByTwoBlock() {
        // align_corners = false at scale 2 samples between pixels 2i and 2i+1: the mean of each 2x2
        // block (an antialiasing kernel would also weigh the neighbouring blocks)
        float[] v = new float[16];
        for (int i = 0; i < 16; i++) {
            v[i] = (i * 7) % 5 + (i / 4) * 0.5f;
        }
        try (NDManager manager = NDManager.newBaseManager(TensorStore.ENGINE)) {
            NDArray x = manager.create(v, new Shape(1, 1, 4, 4));
            float[] got = TorchOps.bilinear(x, 2, 2).toFloatArray();
            float[] want = new float[4];
            for (int r = 0; r < 2; r++) {
                for (int c = 0; c < 2; c++) {
                    int o = 2 * r * 4 + 2 * c;
                    want[r * 2 + c] = (v[o] + v[o + 1] + v[o + 4] + v[o + 5]) / 4;
                }
            }
            assertArrayEquals(want, got, 1e-6f);
        }
    }

    @Test
    void shrinkingOneAxisAndEnlargingTheOtherMatchesTwoTapInterpolation() {
        // rows 3 -> 2: sources 0.25 and 1.75; cols 2 -> 4: sources 0 (clamped), 0.25, 0.75, 1
        float[] v = {0, 4, 8, 12, 16, 20};
        try (NDManager manager = NDManager.newBaseManager(TensorStore.ENGINE)) {
            NDArray x = manager.create(v, new Shape(1, 1, 3, 2));
            float[] got = TorchOps.bilinear(x, 2, 4).toFloatArray();
            float[] row0 = {0.75f * 0 + 0.25f * 8, 0.75f * 4 + 0.25f * 12};
            float[] row1 = {0.25f * 8 + 0.75f * 16, 0.25f * 12 + 0.75f * 20};
            float[] want = new float[8];
            for (int r = 0; r < 2; r++) {
                float[] src = r == 0 ? row0 : row1;
                want[r * 4] = src[0];
                want[r * 4 + 1] = 0.75f * src[0] + 0.25f * src[1];
                want[r * 4 + 2] = 0.25f * src[0] + 0.75f * src[1];
                want[r * 4 + 3] = src[1];
            }
            assertArrayEquals(want, got, 1e-5f);
        }
    }
}
