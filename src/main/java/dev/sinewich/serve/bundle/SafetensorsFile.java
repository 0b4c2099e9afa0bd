package dev.sinewich.serve.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A safetensors file read through memory mapping: only the JSON header is parsed eagerly, and each
 * tensor's bytes are mapped when it is read, so a multi-gigabyte file never sits in one Java array.
 * Not thread-safe; close it to release the file.
 */
public final class SafetensorsFile implements AutoCloseable {

    private static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String fileName;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    /**
     * One tensor's header entry.
     *
     * @param name the tensor name
     * @param dtype the stored element type
     * @param shape the shape
     * @param begin first byte, relative to the data section
     * @param end one past the last byte, relative to the data section
     */
    public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {

        /**
         * Returns the number of elements.
         *
         * @return the product of the shape
         */
        public long elementCount() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        /**
         * Returns the shape as text, e.g. {@code (96, 3, 4, 4)}.
         *
         * @return the shape in parentheses
         */
        public String shapeText() {
            return shapeText(shape);
        }

        /**
         * Formats a shape as text.
         *
         * @param shape the dimensions
         * @return the shape in parentheses
         */
        public static String shapeText(long[] shape) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < shape.length; i++) {
                sb.append(i == 0 ? "" : ", ").append(shape[i]);
            }
            return sb.append(shape.length == 1 ? ",)" : ")").toString();
        }
    }

    /** The element types this reader understands. */
    public enum Dtype {
        /** IEEE float32. */
        F32(4),
        /** IEEE float16, widened on read. */
        F16(2),
        /** bfloat16, widened on read. */
        BF16(2),
        /** int64. */
        I64(8),
        /** int32. */
        I32(4);

        private final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        /**
         * Returns the size of one element.
         *
         * @return bytes per element
         */
        public int bytes() {
            return bytes;
        }

        /**
         * Tells whether this is one of the floating-point types.
         *
         * @return true for F32, F16 and BF16
         */
        public boolean isFloat() {
            return this == F32 || this == F16 || this == BF16;
        }
    }

    private SafetensorsFile(String fileName, FileChannel channel, long dataStart,
            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.fileName = fileName;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens a file and validates its header: every entry has a known dtype, a shape, and a byte range
     * that lies inside the file and matches the shape.
     *
     * @param path the file
     * @param displayName the name used in error messages
     * @return the open file
     * @throws BundleException naming the problem
     */
    public static SafetensorsFile open(Path path, String displayName) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new BundleException(displayName + ": cannot be opened: " + e.getMessage(), e);
        }
        try {
            long size = channel.size();
            if (size < 8) {
                throw new BundleException(displayName + ": expected at least 8 bytes (header length), found "
                        + size + " bytes");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
                throw new BundleException(displayName + ": header length " + headerLength
                        + " is impossible for a file of " + size + " bytes (truncated or not safetensors)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            long dataStart = 8 + headerLength;
            JsonNode root = parseJson(displayName, new String(header.array(), StandardCharsets.UTF_8));
            Map<String, TensorInfo> tensors = parseHeader(displayName, root, size - dataStart);
            return new SafetensorsFile(displayName, channel, dataStart, tensors, parseMetadata(displayName, root));
        } catch (IOException e) {
            closeQuietly(channel);
            throw new BundleException(displayName + ": cannot be read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static JsonNode parseJson(String file, String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new BundleException(file + ": header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new BundleException(file + ": header: expected a JSON object");
        }
        return root;
    }

    private static Map<String, String> parseMetadata(String file, JsonNode root) {
        JsonNode meta = root.get("__metadata__");
        if (meta == null) {
            return Map.of();
        }
        if (!meta.isObject()) {
            throw new BundleException(file + ": __metadata__: expected an object of strings, found " + meta);
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new BundleException(file + ": __metadata__." + e.getKey() + ": expected a string, found "
                        + e.getValue());
            }
            values.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(values);
    }

    private static Map<String, TensorInfo> parseHeader(String file, JsonNode root, long dataBytes) {
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            tensors.put(e.getKey(), entry(file, e.getKey(), e.getValue(), dataBytes));
        }
        return Collections.unmodifiableMap(tensors);
    }

    private static TensorInfo entry(String file, String name, JsonNode node, long dataBytes) {
        String where = file + ": tensor " + name;
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dtypeNode == null || shapeNode == null || offsets == null || !shapeNode.isArray()
                || !offsets.isArray() || offsets.size() != 2) {
            throw new BundleException(where + ": expected dtype, shape and data_offsets [begin, end], found "
                    + node);
        }
        Dtype dtype;
        try {
            dtype = Dtype.valueOf(dtypeNode.asText());
        } catch (IllegalArgumentException e) {
            throw new BundleException(where + ": expected dtype F32, F16, BF16, I64 or I32, found "
                    + dtypeNode.asText());
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToExactIntegral() || d.asLong() < 0) {
                throw new BundleException(where + ": expected non-negative integer dimensions, found "
                        + shapeNode);
            }
            shape[i] = d.asLong();
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(info.elementCount(), dtype.bytes());
        } catch (ArithmeticException e) {
            throw new BundleException(where + ": shape " + info.shapeText() + " is too large");
        }
        if (begin < 0 || end < begin || end - begin != expectedBytes) {
            throw new BundleException(where + ": expected data_offsets spanning " + expectedBytes
                    + " bytes for " + dtype + " " + info.shapeText() + ", found [" + begin + ", " + end + "]");
        }
        if (end > dataBytes) {
            throw new BundleException(where + ": data_offsets [" + begin + ", " + end
                    + "] run past the end of the data section (" + dataBytes + " bytes): the file is truncated");
        }
        return info;
    }

    /**
     * Returns the header entries, in file order.
     *
     * @return an unmodifiable map from tensor name to entry
     */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /**
     * Returns the header's {@code __metadata__} string map.
     *
     * @return an unmodifiable map, empty when the header has none
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads a floating-point tensor widened to float32, rejecting NaN and infinite values.
     *
     * @param name the tensor name
     * @return the values in row-major order
     * @throws BundleException if the tensor is missing, not floating point, or not finite
     */
    public float[] readFloats(String name) {
        TensorInfo info = info(name);
        if (!info.dtype().isFloat()) {
            throw new BundleException(fileName + ": tensor " + name + ": expected F32, F16 or BF16, found "
                    + info.dtype());
        }
        ByteBuffer bytes = map(info);
        float[] values = new float[(int) info.elementCount()];
        switch (info.dtype()) {
            case F32:
                bytes.asFloatBuffer().get(values);
                break;
            case F16:
                for (int i = 0; i < values.length; i++) {
                    values[i] = HalfFloats.halfToFloat(bytes.getShort(2 * i));
                }
                break;
            default:
                for (int i = 0; i < values.length; i++) {
                    values[i] = HalfFloats.bfloat16ToFloat(bytes.getShort(2 * i));
                }
                break;
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new BundleException(fileName + ": tensor " + name + ": element " + i + " is "
                        + values[i] + "; every weight must be finite");
            }
        }
        return values;
    }

    /**
     * Returns a tensor's shape.
     *
     * @param name the tensor name
     * @return the shape
     * @throws BundleException if the tensor is missing
     */
    public long[] shape(String name) {
        return info(name).shape();
    }

    /**
     * Reads an integer tensor (I64 or I32) as longs.
     *
     * @param name the tensor name
     * @return the values in row-major order
     */
    public long[] readLongs(String name) {
        TensorInfo info = info(name);
        ByteBuffer bytes = map(info);
        long[] values = new long[(int) info.elementCount()];
        if (info.dtype() == Dtype.I64) {
            bytes.asLongBuffer().get(values);
        } else if (info.dtype() == Dtype.I32) {
            for (int i = 0; i < values.length; i++) {
                values[i] = bytes.getInt(4 * i);
            }
        } else {
            throw new BundleException(fileName + ": tensor " + name + ": expected I64 or I32, found "
                    + info.dtype());
        }
        return values;
    }

    private TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new BundleException(fileName + ": tensor " + name + " is missing");
        }
        return info;
    }

    private ByteBuffer map(TensorInfo info) {
        long length = info.end() - info.begin();
        if (length > Integer.MAX_VALUE) {
            throw new BundleException(fileName + ": tensor " + info.name() + " has " + length
                    + " bytes; one tensor may hold at most 2 GiB");
        }
        if (length == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        try {
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), length);
            return mapped.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new BundleException(fileName + ": tensor " + info.name() + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a read-only channel after a failed open cannot lose data
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return fileName + " " + Arrays.toString(tensors.keySet().toArray());
    }
}
