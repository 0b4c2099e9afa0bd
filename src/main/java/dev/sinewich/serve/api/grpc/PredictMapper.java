package dev.sinewich.serve.api.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.sinewich.serve.api.Failure;
import dev.sinewich.serve.api.grpc.v1.DataType;
import dev.sinewich.serve.api.grpc.v1.FrameError;
import dev.sinewich.serve.api.grpc.v1.PredictRequest;
import dev.sinewich.serve.api.grpc.v1.PredictResponse;
import dev.sinewich.serve.api.grpc.v1.TaskResult;
import dev.sinewich.serve.api.grpc.v1.Tensor;
import dev.sinewich.serve.api.oip.BinaryTensors;
import dev.sinewich.serve.api.oip.ImageTensors;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.imaging.ImageDecoder;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.model.OutputTensor;
import dev.sinewich.serve.serving.ImageSource;
import dev.sinewich.serve.serving.InferenceResult;
import java.util.List;
import java.util.Map;

/**
 * Converts {@code sinewich.v1} predict messages to and from the transport-independent request and
 * result. The image is checked and decoded by the same rules as an Open Inference Protocol
 * request's; outputs are written with {@link BinaryTensors}, little-endian, one image so no batch
 * dimension. Stateless and thread-safe.
 */
final class PredictMapper {

    private PredictMapper() {}

    /**
     * Returns the request's image, read when the request has been checked: an encoded file by the
     * same decoder, and a raw image by the same tensor rules ({@link ImageTensors}) as the Open
     * Inference Protocol's {@code image} input.
     *
     * @param request the request
     * @return the image source: one image
     * @throws InvalidInputException when no image is set, or a raw image's size and data disagree
     */
    static ImageSource image(PredictRequest request) {
        switch (request.getImageCase()) {
            case ENCODED:
                return limits -> ImageDecoder.decodeAll(List.of(request.getEncoded().toByteArray()), limits)
                        .toImageBatch();
            case FLOAT_IMAGE:
                return raw("float_image", "FP32", request.getFloatImage().getHeight(),
                        request.getFloatImage().getWidth(), request.getFloatImage().getData());
            case UINT8_IMAGE:
                return raw("uint8_image", "UINT8", request.getUint8Image().getHeight(),
                        request.getUint8Image().getWidth(), request.getUint8Image().getData());
            default:
                throw new InvalidInputException("the request has no image; set one of encoded (a PNG or JPEG file), "
                        + "float_image or uint8_image");
        }
    }

    /** A raw image of FP32 (1, 3, h, w) or UINT8 (1, h, w, 3) little-endian data. */
    private static ImageSource raw(String field, String datatype, int height, int width, ByteString data) {
        long h = Integer.toUnsignedLong(height);
        long w = Integer.toUnsignedLong(width);
        if (h < 1 || w < 1) {
            throw new InvalidInputException(field + ".height and " + field + ".width must be at least 1, found "
                    + h + " and " + w);
        }
        boolean fp32 = "FP32".equals(datatype);
        long expected;
        try {
            expected = Math.multiplyExact(fp32 ? 3L * Float.BYTES : 3L, Math.multiplyExact(h, w));
        } catch (ArithmeticException e) {
            expected = Long.MAX_VALUE;
        }
        if (data.size() != expected) {
            throw new InvalidInputException(field + ".data has " + data.size() + " bytes; a " + h + " x " + w
                    + " image needs " + expected + " (" + (fp32 ? "3·h·w float32" : "h·w·3 uint8") + ")");
        }
        long[] shape = fp32 ? new long[] {1, 3, h, w} : new long[] {1, h, w, 3};
        return limits -> {
            ImageTensors.checkShape(datatype, shape, limits);
            return fp32 ? ImageTensors.fromFp32(shape, BinaryTensors.floats(data.asReadOnlyByteBuffer()))
                    : ImageTensors.fromUint8(shape, data.toByteArray());
        };
    }

    /**
     * Writes a finished request's outputs.
     *
     * @param config the model that ran
     * @param tasks the model's tasks, for their kinds
     * @param request the request
     * @param sequence the frame's position in its stream (0 for a unary call)
     * @param result the result
     * @return the response
     */
    static PredictResponse response(SinewichConfig config, List<SinewichConfig.Task> tasks, PredictRequest request,
            long sequence, InferenceResult result) {
        PredictResponse.Builder b = PredictResponse.newBuilder().setModelName(config.name())
                .setModelVersion(config.version()).setId(request.getId()).setSequence(sequence)
                .setQueueSeconds(result.queueSeconds()).setComputeSeconds(result.computeSeconds());
        for (Map.Entry<String, List<OutputTensor>> e : result.outputs().entrySet()) {
            TaskResult.Builder task = TaskResult.newBuilder().setTask(e.getKey());
            tasks.stream().filter(t -> t.name().equals(e.getKey())).findFirst()
                    .ifPresent(t -> task.setKind(ModelInfoMapper.kind(t.kind())));
            e.getValue().forEach(t -> task.addTensors(tensor(t)));
            b.addResults(task);
        }
        return b.build();
    }

    /** One image's tensor: the batch dimension of 1 is dropped. */
    private static Tensor tensor(OutputTensor t) {
        Tensor.Builder b = Tensor.newBuilder().setName(t.name())
                .setDtype(t.floats() != null ? DataType.DATA_TYPE_FLOAT32 : DataType.DATA_TYPE_INT32);
        for (int i = 1; i < t.shape().length; i++) {
            b.addShape(t.shape()[i]);
        }
        // the array is fresh and never written again, so the message may share it
        return b.setData(UnsafeByteOperations.unsafeWrap(BinaryTensors.output(t.floats(), t.ints()))).build();
    }

    /**
     * Writes the answer to a stream frame that failed.
     *
     * @param modelName the model the frame was for
     * @param request the frame
     * @param sequence the frame's position in its stream
     * @param failure how the failure is reported
     * @return the response carrying the error
     */
    static PredictResponse error(String modelName, PredictRequest request, long sequence, Failure failure) {
        return PredictResponse.newBuilder().setModelName(modelName).setId(request.getId()).setSequence(sequence)
                .setError(FrameError.newBuilder().setCode(failure.grpcCode().value()).setMessage(failure.message()))
                .build();
    }
}
