package dev.sinewich.serve.arrays;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads and writes NumPy {@code .npy} files. Writing produces format version 1.0: little-endian
 * {@code <f4} (FP32) or {@code <i4} (INT32), C order, the header padded with spaces so that the
 * data starts at a multiple of 64 bytes; {@code numpy.load} reads it. Reading accepts what
 * {@code numpy.save} writes for a little-endian {@code float32} C-order array (format versions 1.0
 * to 3.0) and refuses everything else with a message saying what was found. Stateless and
 * thread-safe.
 */
public final class Npy {

    /** The media type of a {@code .npy} file. */
    public static final String MEDIA_TYPE = "application/x-npy";

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int PREAMBLE_V1 = MAGIC.length + 2 + 2;
    private static final int ALIGNMENT = 64;
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /**
     * Encodes an FP32 or INT32 array; exactly one of {@code floats} and {@code ints} is non-null.
     *
     * @param shape the dimensions, outermost first
     * @param floats FP32 values row-major, or {@code null}
     * @param ints INT32 values row-major, or {@code null}
     * @return the {@code .npy} file
     * @throws IllegalArgumentException if the shape does not match the element count
     */
    public static byte[] write(long[] shape, float[] floats, int[] ints) {
        if ((floats == null) == (ints == null)) {
            throw new IllegalArgumentException("exactly one of floats and ints must be given");
        }
        int size = floats != null ? floats.length : ints.length;
        long elements = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        if (elements != size) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + elements
                    + " values, found " + size);
        }
        byte[] header = header(floats != null ? "<f4" : "<i4", shape);
        ByteBuffer out = ByteBuffer.allocate(PREAMBLE_V1 + header.length + 4 * size).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length).put(header);
        if (floats != null) {
            out.asFloatBuffer().put(floats);
        } else {
            out.asIntBuffer().put(ints);
        }
        return out.array();
    }

    /**
     * Decodes a little-endian {@code float32} C-order array.
     *
     * @param bytes the file's contents
     * @return the array
     * @throws IllegalArgumentException naming what is wrong: not a {@code .npy} file, another
     *     element type, Fortran order, or a data length that does not match the shape
     */
    public static NpyArray readFloats(byte[] bytes) {
        if (bytes.length < PREAMBLE_V1 || !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            throw new IllegalArgumentException("not a .npy file (no \\x93NUMPY magic)");
        }
        int major = bytes[MAGIC.length];
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        in.position(MAGIC.length + 2);
        long headerLength;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(in.getShort());
        } else if (major == 2 || major == 3) {
            if (bytes.length < PREAMBLE_V1 + 2) {
                throw new IllegalArgumentException(".npy file truncated in its preamble");
            }
            headerLength = Integer.toUnsignedLong(in.getInt());
        } else {
            throw new IllegalArgumentException(".npy format version " + major + " is not supported; expected 1.0");
        }
        if (in.position() + headerLength > bytes.length) {
            throw new IllegalArgumentException(".npy header of " + headerLength + " bytes runs past the end of the file");
        }
        String header = new String(bytes, in.position(), (int) headerLength, StandardCharsets.ISO_8859_1);
        String descr = find(DESCR, header, "descr");
        if (!descr.equals("<f4")) {
            throw new IllegalArgumentException(".npy dtype must be '<f4' (little-endian float32), found '" + descr + "'");
        }
        if (find(FORTRAN, header, "fortran_order").equals("True")) {
            throw new IllegalArgumentException(".npy array must be in C order, found fortran_order True");
        }
        long[] shape = parseShape(find(SHAPE, header, "shape"));
        long elements = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        int start = in.position() + (int) headerLength;
        if (bytes.length - start != 4 * elements) {
            throw new IllegalArgumentException(".npy shape " + Arrays.toString(shape) + " needs " + 4 * elements
                    + " data bytes, found " + (bytes.length - start));
        }
        float[] values = new float[(int) elements];
        ByteBuffer.wrap(bytes, start, bytes.length - start).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return new NpyArray(shape, values);
    }

    private static String find(Pattern pattern, String header, String key) {
        Matcher m = pattern.matcher(header);
        if (!m.find()) {
            throw new IllegalArgumentException(".npy header has no valid '" + key + "' entry: " + header.trim());
        }
        return m.group(1);
    }

    private static long[] parseShape(String dims) {
        List<Long> shape = new ArrayList<>();
        for (String part : dims.split(",")) {
            String d = part.trim();
            if (d.isEmpty()) {
                continue;
            }
            try {
                shape.add(Long.parseLong(d.endsWith("L") ? d.substring(0, d.length() - 1) : d));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(".npy shape has a dimension that is not a number: '" + d + "'");
            }
        }
        if (shape.stream().anyMatch(d -> d < 0) || shape.stream().reduce(1L, (a, b) -> a * b) > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException(".npy shape (" + dims + ") is negative or too large");
        }
        return shape.stream().mapToLong(Long::longValue).toArray();
    }

    private static byte[] header(String descr, long[] shape) {
        String dims = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims
                + (shape.length == 1 ? "," : "") + "), }";
        int padding = Math.floorMod(-(PREAMBLE_V1 + dict.length() + 1), ALIGNMENT);
        return (dict + " ".repeat(padding) + "\n").getBytes(StandardCharsets.US_ASCII);
    }
}
