package dev.sinewich.serve.bundle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Test helper that copies a real bundle and rewrites its safetensors file with changes, so that
 * every failure mode is produced from a valid bundle rather than hand-made bytes.
 */
public final class BundleFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor's raw content. */
    public record Raw(String dtype, long[] shape, byte[] data) {}

    private BundleFiles() {}

    /** Reads every tensor of a safetensors file as raw bytes, in file order. */
    public static Map<String, Raw> read(Path file) throws IOException {
        Map<String, Raw> tensors = new LinkedHashMap<>();
        try (SafetensorsFile st = SafetensorsFile.open(file, file.getFileName().toString());
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long dataStart = 8 + len.getLong(0);
            for (SafetensorsFile.TensorInfo info : st.tensors().values()) {
                ByteBuffer buf = ByteBuffer.allocate((int) (info.end() - info.begin()));
                ch.read(buf, dataStart + info.begin());
                tensors.put(info.name(), new Raw(info.dtype().name(), info.shape(), buf.array()));
            }
        }
        return tensors;
    }

    /** Writes tensors as a safetensors file. */
    static void write(Path file, Map<String, Raw> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /** Writes tensors and {@code __metadata__} as a safetensors file. */
    public static void write(Path file, Map<String, Raw> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Raw> e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype());
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + e.getValue().data().length);
            offset += e.getValue().data().length;
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        try (OutputStream out = Files.newOutputStream(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
            out.write(len.array());
            out.write(h);
            for (int i = h.length; i < padded; i++) {
                out.write(' ');
            }
            for (Raw r : tensors.values()) {
                out.write(r.data());
            }
        }
    }

    /**
     * Copies a bundle directory's two files into a new directory.
     *
     * @param bundle the bundle directory
     * @param target the new directory
     * @return the target
     * @throws IOException when a file cannot be copied
     */
    public static Path copy(Path bundle, Path target) throws IOException {
        Files.createDirectories(target);
        Files.copy(bundle.resolve("sinewich.json"), target.resolve("sinewich.json"));
        Files.copy(bundle.resolve("model.safetensors"), target.resolve("model.safetensors"));
        return target;
    }

    /**
     * Zips a bundle directory's two files at the top level of a zip.
     *
     * @param bundle the bundle directory
     * @param zip the zip to write
     * @return the zip
     * @throws IOException when a file cannot be read or written
     */
    public static Path zip(Path bundle, Path zip) throws IOException {
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            for (String name : new String[] {"sinewich.json", "model.safetensors"}) {
                out.putNextEntry(new ZipEntry(name));
                Files.copy(bundle.resolve(name), out);
                out.closeEntry();
            }
        }
        return zip;
    }

    /** A float32 tensor's bytes with one element replaced. */
    static byte[] withFloat(Raw raw, int index, float value) {
        byte[] data = raw.data().clone();
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putFloat(index * 4, value);
        return data;
    }
}
