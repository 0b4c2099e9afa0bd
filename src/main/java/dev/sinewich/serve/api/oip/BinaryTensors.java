package dev.sinewich.serve.api.oip;

import dev.sinewich.serve.model.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Tensor data in the binary tensor data extension's layout: FP32 and INT32 little-endian, UINT8 as
 * is, BYTES as a 4-byte little-endian length and the bytes of each element. Stateless and
 * thread-safe.
 */
public final class BinaryTensors {

    private BinaryTensors() {}

    /**
     * Decodes one input's bytes.
     *
     * @param name the input name, for messages
     * @param datatype the OIP datatype
     * @param shape the declared shape
     * @param bytes the input's bytes
     * @return the input
     */
    public static OipRequest.Input input(String name, String datatype, long[] shape, ByteBuffer bytes) {
        ByteBuffer b = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        switch (datatype) {
            case "FP32": {
                if (b.remaining() % Float.BYTES != 0) {
                    throw new InvalidInputException("input '" + name + "' binary FP32 data has " + b.remaining()
                            + " bytes, not a multiple of 4");
                }
                return OipRequest.Input.numeric(name, datatype, shape, floats(b), null);
            }
            case "UINT8": {
                byte[] values = new byte[b.remaining()];
                b.get(values);
                return OipRequest.Input.numeric(name, datatype, shape, null, values);
            }
            case "BYTES":
                return OipRequest.Input.bytes(name, shape, lengthPrefixed(name, b));
            default:
                return OipRequest.Input.numeric(name, datatype, shape, new float[0], null);
        }
    }

    /**
     * Reads little-endian float32 values.
     *
     * @param bytes the values' bytes, a multiple of 4 from its position
     * @return the values
     */
    public static float[] floats(ByteBuffer bytes) {
        FloatBuffer values = bytes.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] result = new float[values.remaining()];
        values.get(result);
        return result;
    }

    /**
     * Splits BYTES data into elements.
     *
     * @param name the input name, for messages
     * @param b little-endian buffer positioned at the first length
     * @return the elements
     */
    public static List<byte[]> lengthPrefixed(String name, ByteBuffer b) {
        List<byte[]> elements = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 4) {
                throw new InvalidInputException("input '" + name + "' BYTES data ends inside a 4-byte length prefix");
            }
            int length = b.getInt();
            if (length < 0 || length > b.remaining()) {
                throw new InvalidInputException("input '" + name + "' BYTES element " + elements.size() + " declares "
                        + Integer.toUnsignedString(length) + " bytes but " + b.remaining() + " remain");
            }
            byte[] element = new byte[length];
            b.get(element);
            elements.add(element);
        }
        return elements;
    }

    /**
     * Encodes an output's values.
     *
     * @param floats FP32 values, or {@code null}
     * @param ints INT32 values, or {@code null}
     * @return little-endian bytes
     */
    public static byte[] output(float[] floats, int[] ints) {
        ByteBuffer b = ByteBuffer.allocate((floats != null ? floats.length : ints.length) * 4)
                .order(ByteOrder.LITTLE_ENDIAN);
        if (floats != null) {
            b.asFloatBuffer().put(floats);
        } else {
            b.asIntBuffer().put(ints);
        }
        return b.array();
    }
}
