package dev.sinewich.serve.api.rest.v1;

import dev.sinewich.serve.model.OutputTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Writes one output tensor as a NumPy {@code .npy} file, format version 1.0: little-endian
 * {@code <f4} (FP32) or {@code <i4} (INT32), C order, the tensor's shape batch first, the header
 * padded with spaces so that the data starts at a multiple of 64 bytes. {@code numpy.load} reads
 * it. Stateless and thread-safe.
 */
public final class NpyWriter {

    /** The media type answers carry. */
    public static final String MEDIA_TYPE = "application/x-npy";

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    private static final int PREAMBLE = MAGIC.length + 2;
    private static final int ALIGNMENT = 64;

    private NpyWriter() {}

    /**
     * Encodes a tensor.
     *
     * @param tensor the tensor
     * @return the {@code .npy} file
     * @throws IllegalArgumentException if the shape does not match the element count
     */
    public static byte[] write(OutputTensor tensor) {
        long elements = Arrays.stream(tensor.shape()).reduce(1, (a, b) -> a * b);
        if (elements != tensor.size()) {
            throw new IllegalArgumentException("tensor " + tensor + " holds " + tensor.size() + " values");
        }
        byte[] header = header(tensor.floats() != null ? "<f4" : "<i4", tensor.shape());
        ByteBuffer out = ByteBuffer.allocate(PREAMBLE + header.length + 4 * tensor.size())
                .order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).putShort((short) header.length).put(header);
        if (tensor.floats() != null) {
            out.asFloatBuffer().put(tensor.floats());
        } else {
            out.asIntBuffer().put(tensor.ints());
        }
        return out.array();
    }

    private static byte[] header(String descr, long[] shape) {
        String dims = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims
                + (shape.length == 1 ? "," : "") + "), }";
        int padding = Math.floorMod(-(PREAMBLE + dict.length() + 1), ALIGNMENT);
        return (dict + " ".repeat(padding) + "\n").getBytes(StandardCharsets.US_ASCII);
    }
}
