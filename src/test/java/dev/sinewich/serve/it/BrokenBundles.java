package dev.sinewich.serve.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;

/**
 * Copies of the conformance bundle {@code s4_mixed_downscale}, intact or damaged in one precise
 * way, for the start-up and reload fault tests.
 */
final class BrokenBundles {

    static final Path GOOD = Paths.get("src/test/resources/conformance/s4_mixed_downscale/bundle");
    static final String MODEL = "s4-mixed-downscale";
    static final String WEIGHTS = "model.safetensors";
    /** A float tensor of the backbone, damaged by the mis-shape and NaN variants. */
    static final String TENSOR = "backbone.features.0.0.weight";

    private static final ObjectMapper JSON = new ObjectMapper();

    private BrokenBundles() {}

    /** An intact copy, with the version in sinewich.json replaced. */
    static Path copy(Path dir, String version) throws IOException {
        Files.createDirectories(dir);
        String config = Files.readString(GOOD.resolve("sinewich.json"));
        Files.writeString(dir.resolve("sinewich.json"),
                config.replaceFirst("\"version\"\\s*:\\s*\"[^\"]*\"", "\"version\": \"" + version + "\""));
        Files.copy(GOOD.resolve(WEIGHTS), dir.resolve(WEIGHTS));
        return dir;
    }

    /** The weights file cut in half. */
    static Path truncated(Path dir) throws IOException {
        copy(dir, "1");
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(WEIGHTS).toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        return dir;
    }

    /** The weights file's JSON header overwritten with bytes that are not JSON. */
    static Path corruptHeader(Path dir) throws IOException {
        copy(dir, "1");
        byte[] bytes = Files.readAllBytes(dir.resolve(WEIGHTS));
        Arrays.fill(bytes, 8, 48, (byte) '#');
        Files.write(dir.resolve(WEIGHTS), bytes);
        return dir;
    }

    /** {@link #TENSOR} declared with its first two dimensions swapped (same size, wrong shape). */
    static Path misShaped(Path dir) throws IOException {
        copy(dir, "1");
        rewriteHeader(dir, header -> {
            ArrayNode shape = (ArrayNode) header.get(TENSOR).get("shape");
            long first = shape.get(0).asLong();
            shape.set(0, shape.get(1));
            shape.set(1, JSON.getNodeFactory().numberNode(first));
        });
        return dir;
    }

    /** The first element of {@link #TENSOR} set to NaN. */
    static Path nanTensor(Path dir) throws IOException {
        copy(dir, "1");
        byte[] bytes = Files.readAllBytes(dir.resolve(WEIGHTS));
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        long begin = header.get(TENSOR).get("data_offsets").get(0).asLong();
        ByteBuffer.wrap(bytes, (int) (8 + headerLength + begin), 4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN);
        Files.write(dir.resolve(WEIGHTS), bytes);
        return dir;
    }

    private interface Edit {
        void apply(ObjectNode header);
    }

    /** Rewrites the JSON header in place, padded with spaces to its old length (as safetensors allows). */
    private static void rewriteHeader(Path dir, Edit edit) throws IOException {
        byte[] bytes = Files.readAllBytes(dir.resolve(WEIGHTS));
        int headerLength = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        edit.apply(header);
        byte[] json = JSON.writeValueAsBytes(header);
        if (json.length > headerLength) {
            throw new IllegalStateException("the edited header is longer than the original");
        }
        Arrays.fill(bytes, 8, 8 + headerLength, (byte) ' ');
        System.arraycopy(json, 0, bytes, 8, json.length);
        Files.write(dir.resolve(WEIGHTS), bytes);
    }
}
