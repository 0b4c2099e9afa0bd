package dev.sinewich.serve.api.grpc;

import com.google.protobuf.ByteString;
import dev.sinewich.serve.api.grpc.oip.InferParameter;
import dev.sinewich.serve.api.grpc.oip.InferTensorContents;
import dev.sinewich.serve.api.grpc.oip.ModelInferRequest;
import dev.sinewich.serve.api.grpc.oip.ModelInferResponse;
import dev.sinewich.serve.api.oip.BinaryTensors;
import dev.sinewich.serve.api.oip.OipRequest;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.model.OutputTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts Open Inference Protocol protobuf messages to and from the transport-independent
 * request and outputs: typed contents or {@code raw_input_contents} in, {@code raw_output_contents}
 * (little-endian) out, as Triton and KServe clients expect. Stateless and thread-safe.
 */
final class OipGrpcMapper {

    private OipGrpcMapper() {}

    /**
     * Reads a request.
     *
     * @param request the protobuf request
     * @return the request
     * @throws InvalidInputException naming what is malformed
     */
    static OipRequest request(ModelInferRequest request) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        request.getParametersMap().forEach((k, v) -> parameters.put(k, value(k, v)));
        boolean raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
            throw new InvalidInputException("raw_input_contents has " + request.getRawInputContentsCount()
                    + " entries for " + request.getInputsCount() + " inputs; give one per input, in order");
        }
        List<OipRequest.Input> inputs = new ArrayList<>();
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor in = request.getInputs(i);
            long[] shape = in.getShapeList().stream().mapToLong(Long::longValue).toArray();
            if (raw && in.hasContents()) {
                throw new InvalidInputException("input '" + in.getName()
                        + "' has typed contents while raw_input_contents is used; use one or the other");
            }
            inputs.add(raw ? rawInput(in, shape, request.getRawInputContents(i)) : typedInput(in, shape));
        }
        List<String> outputs = request.getOutputsList().stream()
                .map(ModelInferRequest.InferRequestedOutputTensor::getName).toList();
        return new OipRequest(request.getId().isEmpty() ? null : request.getId(), parameters, inputs, outputs);
    }

    private static Object value(String key, InferParameter p) {
        switch (p.getParameterChoiceCase()) {
            case STRING_PARAM:
                return p.getStringParam();
            case INT64_PARAM:
                return p.getInt64Param();
            case UINT64_PARAM:
                return p.getUint64Param();
            case BOOL_PARAM:
                return p.getBoolParam();
            case DOUBLE_PARAM:
                return p.getDoubleParam();
            default:
                throw new InvalidInputException("parameter '" + key + "' has no value");
        }
    }

    private static OipRequest.Input rawInput(ModelInferRequest.InferInputTensor in, long[] shape, ByteString raw) {
        return BinaryTensors.input(in.getName(), in.getDatatype(), shape, raw.asReadOnlyByteBuffer());
    }

    private static OipRequest.Input typedInput(ModelInferRequest.InferInputTensor in, long[] shape) {
        InferTensorContents c = in.getContents();
        switch (in.getDatatype()) {
            case "FP32": {
                float[] values = new float[c.getFp32ContentsCount()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = c.getFp32Contents(i);
                }
                return OipRequest.Input.numeric(in.getName(), "FP32", shape, values, null);
            }
            case "UINT8": {
                byte[] values = new byte[c.getUintContentsCount()];
                for (int i = 0; i < values.length; i++) {
                    int v = c.getUintContents(i);
                    if (v < 0 || v > 255) {
                        throw new InvalidInputException("input '" + in.getName() + "' element " + i + " is "
                                + Integer.toUnsignedString(v) + "; UINT8 values are integers from 0 to 255");
                    }
                    values[i] = (byte) v;
                }
                return OipRequest.Input.numeric(in.getName(), "UINT8", shape, null, values);
            }
            case "BYTES":
                return OipRequest.Input.bytes(in.getName(), shape,
                        c.getBytesContentsList().stream().map(ByteString::toByteArray).toList());
            default:
                return OipRequest.Input.numeric(in.getName(), in.getDatatype(), shape, new float[0], null);
        }
    }

    /**
     * Writes a response with raw little-endian output contents.
     *
     * @param modelName the model name
     * @param modelVersion the model version
     * @param id the request id, or {@code null}
     * @param task the task that ran
     * @param outputs the outputs
     * @return the protobuf response
     */
    static ModelInferResponse response(String modelName, String modelVersion, String id, String task,
            List<OutputTensor> outputs) {
        ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(modelName)
                .setModelVersion(modelVersion).setId(id == null ? "" : id)
                .putParameters("task", InferParameter.newBuilder().setStringParam(task).build());
        for (OutputTensor t : outputs) {
            ModelInferResponse.InferOutputTensor.Builder o = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(t.name()).setDatatype(t.datatype());
            for (long d : t.shape()) {
                o.addShape(d);
            }
            b.addOutputs(o);
            b.addRawOutputContents(ByteString.copyFrom(BinaryTensors.output(t.floats(), t.ints())));
        }
        return b.build();
    }
}
