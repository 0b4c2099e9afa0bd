package dev.sinewich.serve.api.oip;

import java.util.List;
import java.util.Map;

/**
 * An Open Inference Protocol inference request, independent of its wire format (JSON or
 * protobuf). Immutable once built.
 *
 * @param id the client's request id, or {@code null}
 * @param parameters request parameters (strings, numbers, booleans)
 * @param inputs the input tensors
 * @param outputs the requested output names; empty means the defaults
 */
public record InferRequest(String id, Map<String, Object> parameters, List<Input> inputs, List<String> outputs) {

    /**
     * One input tensor. Exactly one of the data arrays is set, matching the datatype.
     *
     * @param name the input name
     * @param datatype the OIP datatype
     * @param shape the declared shape
     * @param floats FP32 data (JSON numbers are read as floats for every numeric type)
     * @param bytes raw bytes (UINT8 data), or {@code null}
     */
    public record Input(String name, String datatype, long[] shape, float[] floats, byte[] bytes) {}
}
