package dev.sinewich.serve.api.corpus;

import static dev.sinewich.serve.api.corpus.BadInput.grpc;
import static dev.sinewich.serve.api.corpus.Surface.GRPC_OIP;
import static dev.sinewich.serve.api.corpus.Surface.GRPC_V1;

import com.google.protobuf.ByteString;
import dev.sinewich.serve.api.grpc.oip.InferParameter;
import dev.sinewich.serve.api.grpc.oip.InferTensorContents;
import dev.sinewich.serve.api.grpc.oip.ModelInferRequest;
import dev.sinewich.serve.api.grpc.v1.FloatImage;
import dev.sinewich.serve.api.grpc.v1.GetModelRequest;
import dev.sinewich.serve.api.grpc.v1.PredictRequest;
import dev.sinewich.serve.api.grpc.v1.Uint8Image;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The corpus rows of the two gRPC surfaces. Every request is sent as bytes, so well-formed
 * messages and malformed protobuf go the same way.
 */
final class GrpcCases {

    static final String PREDICT = "sinewich.v1.SinewichService/Predict";
    static final String GET_MODEL = "sinewich.v1.SinewichService/GetModel";
    static final String INFER = "inference.GRPCInferenceService/ModelInfer";
    /** A length-delimited field 1 whose length varint never ends: no protobuf parser accepts it. */
    static final byte[] MALFORMED = {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};

    private static final Status.Code INVALID = Status.Code.INVALID_ARGUMENT;

    private GrpcCases() {}

    static List<BadInput> typed() {
        return List.of(
                v1("no image", INVALID, "the request has no image", predict()),
                v1("truncated PNG", INVALID, "truncated or corrupt PNG", predict().setEncoded(
                        ByteString.copyFrom(BadImages.truncatedPng()))),
                v1("corrupt PNG pixel data", INVALID, "corrupt PNG", predict().setEncoded(
                        ByteString.copyFrom(BadImages.corruptPng()))),
                v1("truncated JPEG", INVALID, "truncated or corrupt JPEG", predict().setEncoded(
                        ByteString.copyFrom(BadImages.truncatedJpeg()))),
                v1("corrupt JPEG tables", INVALID, "JPEG", predict().setEncoded(
                        ByteString.copyFrom(BadImages.corruptJpeg()))),
                v1("empty encoded image", INVALID, "the image is empty (0 bytes)", predict().setEncoded(ByteString.EMPTY)),
                v1("PNG header claiming 50000x50000", INVALID, "50000x50000", predict().setEncoded(
                        ByteString.copyFrom(BadImages.pngBomb()))),
                v1("JPEG header claiming 50000x50000", INVALID, "50000x50000", predict().setEncoded(
                        ByteString.copyFrom(BadImages.jpegBomb()))),
                v1("non-image bytes", INVALID, "accepted formats are", predict().setEncoded(
                        ByteString.copyFrom(BadImages.text()))),
                v1("unknown model", Status.Code.NOT_FOUND, "unknown model 'nope'", predict().setModelName("nope")
                        .setEncoded(ByteString.copyFrom(BadImages.png()))),
                v1("unknown task", INVALID, "unknown task 'nope'", PredictRequest.newBuilder()
                        .setModelName(RestCases.MODEL).addTasks("nope").setEncoded(ByteString.copyFrom(BadImages.png()))),
                v1("unknown output", INVALID, "no output 'nope'", predict().addOutputs("nope")
                        .setEncoded(ByteString.copyFrom(BadImages.png()))),
                v1("float image with the wrong byte count", INVALID, "float_image.data has 20 bytes", predict()
                        .setFloatImage(FloatImage.newBuilder().setHeight(2).setWidth(2)
                                .setData(ByteString.copyFrom(new byte[20])))),
                v1("NaN in a float image", INVALID, "is NaN; pixel values must be finite", predict()
                        .setFloatImage(floats(1, 1, 0.5f, Float.NaN, 0.25f))),
                v1("-Infinity in a float image", INVALID, "is -Infinity; pixel values must be finite", predict()
                        .setFloatImage(floats(1, 1, Float.NEGATIVE_INFINITY, 0.5f, 0.25f))),
                v1("zero-sized uint8 image", INVALID, "must be at least 1", predict()
                        .setUint8Image(Uint8Image.newBuilder().setHeight(0).setWidth(4))),
                v1("uint8 image of 4294967295 rows", INVALID, "4294967295", predict()
                        .setUint8Image(Uint8Image.newBuilder().setHeight(-1).setWidth(2)
                                .setData(ByteString.copyFrom(new byte[6])))),
                grpc(GRPC_V1, "malformed protobuf on Predict", INVALID,
                        "is not a valid sinewich.v1.PredictRequest protobuf message",
                        c -> c.grpc(PREDICT, MALFORMED)),
                grpc(GRPC_V1, "GetModel of an unknown model", Status.Code.NOT_FOUND, "unknown model 'nope'",
                        c -> c.grpc(GET_MODEL, GetModelRequest.newBuilder().setName("nope").build().toByteArray())));
    }

    static List<BadInput> oip() {
        return List.of(
                oip("no task parameter", INVALID, "the request parameter 'task' is required",
                        ModelInferRequest.newBuilder().setModelName(RestCases.MODEL).addInputs(uint8(1, 1, 1, 3))
                                .addRawInputContents(ByteString.copyFrom(new byte[3]))),
                oip("no inputs", INVALID, "expected exactly one input named 'image', found []", infer("depth")),
                oip("unknown model", Status.Code.NOT_FOUND, "unknown model 'nope'", infer("depth").setModelName("nope")
                        .addInputs(uint8(1, 1, 1, 3)).addRawInputContents(ByteString.copyFrom(new byte[3]))),
                oip("unknown task", INVALID, "unknown task 'nope'", infer("nope")
                        .addInputs(uint8(1, 1, 1, 3)).addRawInputContents(ByteString.copyFrom(new byte[3]))),
                oip("wrong datatype FP64", INVALID, "found FP64", infer("depth").addInputs(tensor("FP64", 1, 3, 1, 1))
                        .addRawInputContents(ByteString.copyFrom(new byte[24]))),
                oip("three dimensions", INVALID, "must have 4 dimensions", infer("depth").addInputs(uint8(1, 1, 3))
                        .addRawInputContents(ByteString.copyFrom(new byte[3]))),
                oip("negative dimension", INVALID, "dimensions must be positive", infer("depth")
                        .addInputs(uint8(1, -1, 1, 3)).addRawInputContents(ByteString.copyFrom(new byte[3]))),
                oip("huge dimensions", INVALID, "pixels per image; at most", infer("depth")
                        .addInputs(uint8(1, 1L << 31, 1L << 31, 3)).addRawInputContents(ByteString.copyFrom(new byte[3]))),
                oip("raw contents with the wrong byte count", INVALID, "needs 12 values, found 11", infer("depth")
                        .addInputs(uint8(1, 2, 2, 3)).addRawInputContents(ByteString.copyFrom(new byte[11]))),
                oip("raw FP32 contents not a multiple of 4", INVALID, "not a multiple of 4", infer("depth")
                        .addInputs(tensor("FP32", 1, 3, 1, 1)).addRawInputContents(ByteString.copyFrom(new byte[11]))),
                oip("raw contents for two inputs", INVALID, "raw_input_contents has 2 entries for 1 inputs",
                        infer("depth").addInputs(uint8(1, 1, 1, 3)).addRawInputContents(ByteString.copyFrom(new byte[3]))
                                .addRawInputContents(ByteString.copyFrom(new byte[3]))),
                oip("NaN in typed FP32 contents", INVALID, "element 1 is NaN; pixel values must be finite",
                        infer("depth").addInputs(tensor("FP32", 1, 3, 1, 1).setContents(InferTensorContents.newBuilder()
                                .addFp32Contents(0.5f).addFp32Contents(Float.NaN).addFp32Contents(0.5f)))),
                oip("Infinity in raw FP32 contents", INVALID, "element 0 is Infinity; pixel values must be finite",
                        infer("depth").addInputs(tensor("FP32", 1, 3, 1, 1)).addRawInputContents(ByteString.copyFrom(
                                le(Float.POSITIVE_INFINITY, 0.5f, 0.5f)))),
                oip("BYTES truncated JPEG", INVALID, "truncated or corrupt JPEG", infer("depth")
                        .addInputs(tensor("BYTES", 1).setContents(InferTensorContents.newBuilder()
                                .addBytesContents(ByteString.copyFrom(BadImages.truncatedJpeg()))))),
                oip("BYTES JPEG claiming 50000x50000", INVALID, "50000x50000", infer("depth")
                        .addInputs(tensor("BYTES", 1).setContents(InferTensorContents.newBuilder()
                                .addBytesContents(ByteString.copyFrom(BadImages.jpegBomb()))))),
                oip("BYTES: five 4096x4096 PNGs, each within the image limit", INVALID,
                        "make 83886080 pixels; at most 16777216 are accepted per request", infer("depth")
                        .addInputs(tensor("BYTES", 5).setContents(fivePngs(BadImages.pngClaiming(4096, 4096))))),
                oip("raw BYTES: five 4096x4096 PNGs", INVALID, "sinewich.limits.max-request-pixels",
                        rawBytes(infer("depth"), BadImages.pngClaiming(4096, 4096), 5)),
                oip("FP32 images over the request pixel limit", INVALID, "sinewich.limits.max-request-pixels",
                        infer("depth").addInputs(tensor("FP32", 2, 3, 4096, 4096))
                                .addRawInputContents(ByteString.copyFrom(new byte[4]))),
                oip("unknown request parameter", INVALID, "unknown request parameter 'taks'", infer("depth")
                        .putParameters("taks", InferParameter.newBuilder().setStringParam("x").build())
                        .addInputs(uint8(1, 1, 1, 3)).addRawInputContents(ByteString.copyFrom(new byte[3]))),
                oip("10,000 inputs", INVALID, "more characters", manyInputs(infer("depth"), 10_000)),
                oip("a task name of 5 MB", INVALID, "more characters", infer("t".repeat(5 << 20))
                        .addInputs(uint8(1, 1, 1, 3)).addRawInputContents(ByteString.copyFrom(new byte[3]))),
                oip("parameter without a value", INVALID, "parameter 'task' has no value",
                        ModelInferRequest.newBuilder().setModelName(RestCases.MODEL)
                                .putParameters("task", InferParameter.getDefaultInstance())),
                grpc(GRPC_OIP, "malformed protobuf on ModelInfer", INVALID,
                        "is not a valid inference.ModelInferRequest protobuf message",
                        c -> c.grpc(INFER, MALFORMED)),
                grpc(GRPC_OIP, "message over the 64 MB limit", Status.Code.RESOURCE_EXHAUSTED, "67108864",
                        c -> c.grpc(INFER, infer("depth").addInputs(uint8(1, 4096, 5462, 3))
                                .addRawInputContents(ByteString.copyFrom(new byte[RestCases.OVER_LIMIT]))
                                .build().toByteArray())));
    }

    private static InferTensorContents fivePngs(byte[] png) {
        InferTensorContents.Builder b = InferTensorContents.newBuilder();
        for (int i = 0; i < 5; i++) {
            b.addBytesContents(ByteString.copyFrom(png));
        }
        return b.build();
    }

    /** BYTES in raw_input_contents: each element a 4-byte little-endian length, then its bytes. */
    private static ModelInferRequest.Builder rawBytes(ModelInferRequest.Builder request, byte[] file, int copies) {
        ByteBuffer raw = ByteBuffer.allocate(copies * (4 + file.length)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < copies; i++) {
            raw.putInt(file.length).put(file);
        }
        return request.addInputs(tensor("BYTES", copies)).addRawInputContents(ByteString.copyFrom(raw.array()));
    }

    private static ModelInferRequest.Builder manyInputs(ModelInferRequest.Builder request, int count) {
        for (int i = 0; i < count; i++) {
            request.addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input_" + i).setDatatype("UINT8")
                    .addShape(1)).addRawInputContents(ByteString.copyFrom(new byte[1]));
        }
        return request;
    }

    private static PredictRequest.Builder predict() {
        return PredictRequest.newBuilder().setModelName(RestCases.MODEL).addTasks("depth");
    }

    private static BadInput v1(String name, Status.Code code, String fragment, PredictRequest.Builder request) {
        byte[] bytes = request.build().toByteArray();
        return grpc(GRPC_V1, name, code, fragment, c -> c.grpc(PREDICT, bytes));
    }

    private static ModelInferRequest.Builder infer(String task) {
        return ModelInferRequest.newBuilder().setModelName(RestCases.MODEL)
                .putParameters("task", InferParameter.newBuilder().setStringParam(task).build());
    }

    private static BadInput oip(String name, Status.Code code, String fragment, ModelInferRequest.Builder request) {
        byte[] bytes = request.build().toByteArray();
        return grpc(GRPC_OIP, name, code, fragment, c -> c.grpc(INFER, bytes));
    }

    private static ModelInferRequest.InferInputTensor.Builder tensor(String datatype, long... shape) {
        ModelInferRequest.InferInputTensor.Builder b = ModelInferRequest.InferInputTensor.newBuilder().setName("image")
                .setDatatype(datatype);
        for (long d : shape) {
            b.addShape(d);
        }
        return b;
    }

    private static ModelInferRequest.InferInputTensor.Builder uint8(long... shape) {
        return tensor("UINT8", shape);
    }

    private static FloatImage floats(int h, int w, float... values) {
        return FloatImage.newBuilder().setHeight(h).setWidth(w).setData(ByteString.copyFrom(le(values))).build();
    }

    private static byte[] le(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }
}
