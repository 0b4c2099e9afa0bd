package dev.sinewich.serve.api.oip;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An Open Inference Protocol inference request, independent of its wire format (JSON or
 * protobuf). Immutable once built.
 *
 * @param id the client's request id, or {@code null}
 * @param parameters request parameters (strings, numbers, booleans)
 * @param inputs the input tensors
 * @param outputs the requested output names; empty means the defaults
 * @param binaryOutputs the outputs asked for as binary data ({@code binary_data: true})
 */
public record OipRequest(String id, Map<String, Object> parameters, List<Input> inputs, List<String> outputs,
        Set<String> binaryOutputs) {

    /**
     * A request whose outputs all go back as JSON data.
     *
     * @param id the client's request id, or {@code null}
     * @param parameters request parameters
     * @param inputs the input tensors
     * @param outputs the requested output names
     */
    public OipRequest(String id, Map<String, Object> parameters, List<Input> inputs, List<String> outputs) {
        this(id, parameters, inputs, outputs, Set.of());
    }

    /**
     * Tells whether an output goes back as binary data (binary tensor data extension): when the
     * request's {@code binary_data_output} is true or the output's own {@code binary_data} is.
     *
     * @param output the output name
     * @return true for binary
     */
    public boolean binary(String output) {
        return Boolean.TRUE.equals(parameters.get("binary_data_output")) || binaryOutputs.contains(output);
    }

    /**
     * Tells whether some output goes back as JSON text: every output when none is named, unless
     * {@code binary_data_output} is true; else each named output by {@link #binary(String)}.
     *
     * @return true when the answer carries JSON text data
     */
    public boolean hasTextOutputs() {
        if (outputs.isEmpty()) {
            return !Boolean.TRUE.equals(parameters.get("binary_data_output"));
        }
        return !outputs.stream().allMatch(this::binary);
    }

    /**
     * One input tensor. Exactly one of the data arrays is set, matching the datatype.
     *
     * @param name the input name
     * @param datatype the OIP datatype
     * @param shape the declared shape
     * @param floats FP32 data (JSON numbers are read as floats for every numeric type)
     * @param bytes raw bytes (UINT8 data), or {@code null}
     * @param elements BYTES elements (encoded image files), or {@code null}
     */
    public record Input(String name, String datatype, long[] shape, float[] floats, byte[] bytes,
            List<byte[]> elements) {

        /**
         * A numeric input.
         *
         * @param name the input name
         * @param datatype the OIP datatype
         * @param shape the declared shape
         * @param floats FP32 data, or {@code null}
         * @param bytes UINT8 data, or {@code null}
         * @return the input
         */
        public static Input numeric(String name, String datatype, long[] shape, float[] floats, byte[] bytes) {
            return new Input(name, datatype, shape, floats, bytes, null);
        }

        /**
         * A BYTES input.
         *
         * @param name the input name
         * @param shape the declared shape
         * @param elements the elements
         * @return the input
         */
        public static Input bytes(String name, long[] shape, List<byte[]> elements) {
            return new Input(name, "BYTES", shape, null, null, List.copyOf(elements));
        }

        /**
         * Returns how many elements the data holds.
         *
         * @return the element count
         */
        public int count() {
            return floats != null ? floats.length : bytes != null ? bytes.length : elements.size();
        }
    }
}
