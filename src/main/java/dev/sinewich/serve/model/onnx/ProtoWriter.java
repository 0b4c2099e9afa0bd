package dev.sinewich.serve.model.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes protocol-buffer wire format by hand: varints, 64-bit integers, length-delimited bytes and
 * nested messages, which is all an ONNX {@code ModelProto} needs. Field numbers are the caller's
 * business. Not thread-safe.
 */
final class ProtoWriter {

    private static final int VARINT = 0;
    private static final int FIXED32 = 5;
    private static final int LENGTH_DELIMITED = 2;

    private final ByteArrayOutputStream out;

    /** Creates an empty message. */
    ProtoWriter() {
        this(64);
    }

    /**
     * Creates an empty message with room for a size hint.
     *
     * @param sizeHint expected bytes
     */
    ProtoWriter(int sizeHint) {
        out = new ByteArrayOutputStream(sizeHint);
    }

    /**
     * Writes an int64 / int32 / enum field.
     *
     * @param field the field number
     * @param value the value
     * @return this
     */
    ProtoWriter varint(int field, long value) {
        tag(field, VARINT);
        rawVarint(value);
        return this;
    }

    /**
     * Writes a float field.
     *
     * @param field the field number
     * @param value the value
     * @return this
     */
    ProtoWriter float32(int field, float value) {
        tag(field, FIXED32);
        int bits = Float.floatToRawIntBits(value);
        for (int i = 0; i < 4; i++) {
            out.write(bits >>> (8 * i));
        }
        return this;
    }

    /**
     * Writes a string field.
     *
     * @param field the field number
     * @param value the value
     * @return this
     */
    ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes a bytes field or an already encoded nested message.
     *
     * @param field the field number
     * @param value the bytes
     * @return this
     */
    ProtoWriter bytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(value.length);
        out.write(value, 0, value.length);
        return this;
    }

    /**
     * Writes a nested message.
     *
     * @param field the field number
     * @param message the message
     * @return this
     */
    ProtoWriter message(int field, ProtoWriter message) {
        return bytes(field, message.toByteArray());
    }

    /**
     * Returns the encoded message.
     *
     * @return the bytes
     */
    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        rawVarint(((long) field << 3) | wireType);
    }

    private void rawVarint(long value) {
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
