package dev.sinewich.serve.it;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar refuses to start on a damaged bundle: it exits with a non-zero status and its
 * log names the file, the tensor and what is wrong, in one line, without a stack trace.
 */
class StartupFaultsIT {

    /**
     * Stack frames a failed start-up may print at most: Quarkus logs its own "Failed to start
     * quarkus" wrapper with its 7 frames; the bundle's problem itself comes without any.
     */
    private static final int MAX_STACK_FRAMES = 10;

    @TempDir
    Path tmp;

    @Test
    void truncatedWeights() throws Exception {
        assertRefused(BrokenBundles.truncated(tmp.resolve("truncated")), "model.safetensors", "truncated");
    }

    @Test
    void corruptHeader() throws Exception {
        assertRefused(BrokenBundles.corruptHeader(tmp.resolve("header")), "model.safetensors",
                "header is not valid JSON");
    }

    @Test
    void misShapedTensor() throws Exception {
        assertRefused(BrokenBundles.misShaped(tmp.resolve("shape")), "model.safetensors",
                "tensor " + BrokenBundles.TENSOR + ": expected shape");
    }

    @Test
    void nanTensor() throws Exception {
        assertRefused(BrokenBundles.nanTensor(tmp.resolve("nan")), "model.safetensors",
                "tensor " + BrokenBundles.TENSOR + ": element 0 is NaN");
    }

    private static void assertRefused(Path bundle, String... fragments) throws Exception {
        try (ServerProcess server = ServerProcess.start(Map.of("SINEWICH_MODEL_PATH", bundle.toString()))) {
            int status = server.awaitExit(Duration.ofSeconds(180));
            String out = server.output();
            assertNotEquals(0, status, out);
            for (String fragment : fragments) {
                assertTrue(out.contains(fragment), () -> "expected '" + fragment + "' in the log:\n" + out);
            }
            assertTrue(out.contains("cannot serve the bundle " + bundle), out);
            long frames = out.lines().filter(l -> l.startsWith("\tat ")).count();
            assertTrue(frames <= MAX_STACK_FRAMES, () -> frames + " stack frames in the log:\n" + out);
        }
    }
}
