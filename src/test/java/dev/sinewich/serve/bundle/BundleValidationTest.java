package dev.sinewich.serve.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a bundle can be wrong fails with a message that names the file, the key or tensor, and
 * what was expected and found. Each broken bundle is made from a real conformance bundle.
 */
class BundleValidationTest {

    private static final Path GOOD = Paths.get("src/test/resources/conformance/s2_lora_lowpass_clock/bundle");
    private static final String QKV = "backbone.features.1.0.attn.qkv.weight";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private String failure(Path bundle) {
        BundleException e = assertThrows(BundleException.class, () -> Bundle.open(bundle).close());
        return e.getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "expected '" + part + "' in: " + message);
        }
    }

    private Path withTensors(Consumer<Map<String, BundleFiles.Raw>> change) throws IOException {
        Path dir = BundleFiles.copy(GOOD, tmp.resolve("b"));
        Map<String, BundleFiles.Raw> tensors = BundleFiles.read(dir.resolve("model.safetensors"));
        change.accept(tensors);
        BundleFiles.write(dir.resolve("model.safetensors"), tensors);
        return dir;
    }

    private Path withConfig(Consumer<ObjectNode> change) throws IOException {
        Path dir = BundleFiles.copy(GOOD, tmp.resolve("b"));
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("sinewich.json").toFile());
        change.accept(config);
        JSON.writeValue(dir.resolve("sinewich.json").toFile(), config);
        return dir;
    }

    @Test
    void goodBundleOpensAsDirectoryAndAsZip() throws IOException {
        try (Bundle dir = Bundle.open(GOOD); Bundle zip = Bundle.open(BundleFiles.zip(GOOD, tmp.resolve("b.zip")))) {
            assertEquals(dir.config(), zip.config());
            assertEquals(2, dir.config().stages());
            assertTrue(dir.floats(QKV).length > 0);
        }
    }

    @Test
    void rewrittenGoodBundleStillOpens() throws IOException {
        // the rewriting helper itself changes nothing: every other case here starts from this copy
        try (Bundle original = Bundle.open(GOOD); Bundle rewritten = Bundle.open(withTensors(t -> { }))) {
            assertEquals(original.config(), rewritten.config());
            assertArrayEquals(original.floats(QKV), rewritten.floats(QKV));
        }
    }

    @Test
    void truncatedWeightsNameTheTensorThatRunsPastTheEnd() throws IOException {
        Path dir = BundleFiles.copy(GOOD, tmp.resolve("b"));
        Path weights = dir.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.setLength(f.length() - 100);
        }
        assertMentions(failure(dir), "model.safetensors", "truncated");
    }

    @Test
    void garbageHeaderIsReported() throws IOException {
        Path dir = BundleFiles.copy(GOOD, tmp.resolve("b"));
        Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
        assertMentions(failure(dir), "model.safetensors", "header length");
        Files.write(dir.resolve("model.safetensors"), new byte[] {4, 0, 0, 0, 0, 0, 0, 0, '{', 'x', 'y', 'z'});
        assertMentions(failure(dir), "model.safetensors", "not valid JSON");
        Files.write(dir.resolve("model.safetensors"), new byte[0]);
        assertMentions(failure(dir), "model.safetensors", "at least 8 bytes");
    }

    @Test
    void misShapedTensorNamesExpectedAndFound() throws IOException {
        Path dir = withTensors(t -> {
            BundleFiles.Raw r = t.get(QKV);
            long[] s = r.shape();
            t.put(QKV, new BundleFiles.Raw(r.dtype(), new long[] {s[1], s[0]}, r.data()));
        });
        assertMentions(failure(dir), QKV, "expected shape", "found");
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path dir = withTensors(t -> t.remove("decoder.fuse.weight"));
        assertMentions(failure(dir), "decoder.fuse.weight", "missing");
    }

    @Test
    void unusedTensorIsAnError() throws IOException {
        Path dir = withTensors(t -> t.put("backbone.norm.weight", t.get("backbone.features.0.2.weight")));
        assertMentions(failure(dir), "backbone.norm.weight", "not used");
    }

    @Test
    void nonFiniteWeightsAreRejectedWithTheTensorName() throws IOException {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Path dir = withTensors(t -> {
                BundleFiles.Raw r = t.get(QKV);
                t.put(QKV, new BundleFiles.Raw(r.dtype(), r.shape(), BundleFiles.withFloat(r, 5, bad)));
            });
            try (Bundle b = Bundle.open(dir)) {
                BundleException e = assertThrows(BundleException.class, () -> b.floats(QKV));
                assertMentions(e.getMessage(), QKV, "element 5", String.valueOf(bad));
            }
            deleteTree(dir);
        }
    }

    @Test
    void wrongRelativePositionIndexIsRejected() throws IOException {
        String name = "backbone.features.1.0.attn.relative_position_index";
        Path dir = withTensors(t -> {
            BundleFiles.Raw r = t.get(name);
            byte[] data = r.data().clone();
            data[8] ^= 1;
            t.put(name, new BundleFiles.Raw(r.dtype(), r.shape(), data));
        });
        assertMentions(failure(dir), name, "element 1", "relative position index");
    }

    @Test
    void unsupportedDtypeIsNamed() throws IOException {
        Path dir = withTensors(t -> {
            BundleFiles.Raw r = t.get(QKV);
            t.put(QKV, new BundleFiles.Raw("F64", new long[] {r.shape()[0] / 2, r.shape()[1]}, r.data()));
        });
        assertMentions(failure(dir), QKV, "F64");
    }

    @Test
    void configErrorsNameTheKey() throws IOException {
        assertMentions(failure(withConfig(c -> ((ObjectNode) c.get("backbone")).put("depht", 2))),
                "sinewich.json", "backbone.depht", "unknown key");
        deleteTree(tmp.resolve("b"));
        assertMentions(failure(withConfig(c -> c.put("format", "sinewich/v2"))),
                "sinewich.json", "format", "sinewich/v1", "sinewich/v2");
        deleteTree(tmp.resolve("b"));
        assertMentions(failure(withConfig(c -> c.remove("decoder"))), "decoder", "missing");
        deleteTree(tmp.resolve("b"));
        assertMentions(failure(withConfig(c -> ((ObjectNode) c.get("input")).put("height", 30))),
                "input.height", "multiple of", "30");
        deleteTree(tmp.resolve("b"));
        assertMentions(failure(withConfig(c -> ((ObjectNode) c.get("tasks").get(1)).put("kind", "sky"))),
                "tasks[1].kind", "sky");
        deleteTree(tmp.resolve("b"));
        assertMentions(failure(withConfig(c -> ((ObjectNode) c.get("tasks").get(1)).put("name", "Depth"))),
                "tasks[1].name", "Depth");
        deleteTree(tmp.resolve("b"));
        assertMentions(failure(withConfig(c -> ((ArrayNode) c.get("tasks")).add(c.get("tasks").get(0)))),
                "unique task name");
        deleteTree(tmp.resolve("b"));
        assertMentions(failure(withConfig(c -> ((ObjectNode) c.get("backbone")).putArray("num_heads").add(3).add(5))),
                "num_heads[1]", "divisor", "found 5");
    }

    @Test
    void taskRenamedInConfigButNotInWeightsIsCaught() throws IOException {
        Path dir = withConfig(c -> ((ObjectNode) c.get("tasks").get(1)).put("name", "depth2"));
        String message = failure(dir);
        assertTrue(message.contains("depth2") || message.contains("heads.depth"), message);
    }

    @Test
    void zipWithStrayEntryIsRejected() throws IOException {
        Path zip = tmp.resolve("b.zip");
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new java.util.zip.ZipEntry("../evil.txt"));
            out.write(1);
            out.closeEntry();
        }
        assertMentions(failure(zip), "b.zip", "../evil.txt");
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Path dir = BundleFiles.copy(GOOD, tmp.resolve("b"));
        Files.delete(dir.resolve("model.safetensors"));
        assertMentions(failure(dir), "model.safetensors", "found nothing");
        assertMentions(failure(tmp.resolve("nowhere")), "nowhere");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
