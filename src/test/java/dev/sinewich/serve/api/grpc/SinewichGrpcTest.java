package dev.sinewich.serve.api.grpc;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import dev.sinewich.serve.api.grpc.v1.DataType;
import dev.sinewich.serve.api.grpc.v1.FloatImage;
import dev.sinewich.serve.api.grpc.v1.GetModelRequest;
import dev.sinewich.serve.api.grpc.v1.ListModelsRequest;
import dev.sinewich.serve.api.grpc.v1.ModelInfo;
import dev.sinewich.serve.api.grpc.v1.PredictRequest;
import dev.sinewich.serve.api.grpc.v1.PredictResponse;
import dev.sinewich.serve.api.grpc.v1.SinewichService;
import dev.sinewich.serve.api.grpc.v1.SinewichServiceGrpc;
import dev.sinewich.serve.api.grpc.v1.TaskInfo;
import dev.sinewich.serve.api.grpc.v1.TaskKind;
import dev.sinewich.serve.api.grpc.v1.TaskResult;
import dev.sinewich.serve.api.grpc.v1.Tensor;
import dev.sinewich.serve.model.ReferenceLabels;
import dev.sinewich.serve.api.grpc.v1.Uint8Image;
import dev.sinewich.serve.bundle.SafetensorsFile;
import dev.sinewich.serve.imaging.PngWriter;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflection;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Multi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import dev.sinewich.serve.testing.Management;

/**
 * The typed {@code sinewich.v1.SinewichService} over real gRPC with the generated blocking and
 * Mutiny stubs, serving the conformance bundle {@code s4_mixed_downscale}: model descriptions,
 * several tasks of one PNG, raw float input against the PyTorch reference, a stream of frames with
 * a bad one in the middle, status codes for bad calls, and server reflection (what grpcurl uses).
 */
@QuarkusTest
class SinewichGrpcTest {

    private static final Path CASE = Paths.get("src/test/resources/conformance/s4_mixed_downscale");
    private static final String MODEL = "s4-mixed-downscale";
    private static final List<String> TASKS = List.of("semseg", "depth", "normals", "saliency", "edges");
    private static final float TOLERANCE = 1e-4f;

    @GrpcClient("sinewich")
    SinewichServiceGrpc.SinewichServiceBlockingStub stub;

    @GrpcClient("sinewich")
    SinewichService mutiny;

    @GrpcClient("sinewich")
    ServerReflection reflection;

    @Test
    void listAndGetModelDescribeTheBundle() {
        List<ModelInfo> models = stub.listModels(ListModelsRequest.getDefaultInstance()).getModelsList();
        assertEquals(1, models.size());
        ModelInfo model = models.get(0);
        assertEquals(MODEL, model.getName());
        assertEquals("1", model.getVersion());
        assertEquals("cpu", model.getDevice());
        assertEquals("onnxruntime", model.getEngine(), "auto picks ONNX Runtime on a CPU");
        assertEquals(32, model.getInputHeight());
        assertEquals(48, model.getInputWidth());
        assertTrue(List.of("cache", "on-the-fly").contains(model.getKernelPolicy()), model.getKernelPolicy());
        assertEquals(TASKS, model.getTasksList().stream().map(TaskInfo::getName).toList());
        TaskInfo semseg = model.getTasks(0);
        assertEquals(TaskKind.TASK_KIND_SEGMENTATION, semseg.getKind());
        assertEquals(List.of("labels", "probabilities"), semseg.getOutputsList());
        assertEquals(5, semseg.getChannels());
        assertEquals(List.of("c0", "c1", "c2", "c3", "c4"), semseg.getLabelsList());
        TaskInfo depth = model.getTasks(1);
        assertEquals(TaskKind.TASK_KIND_DEPTH, depth.getKind());
        assertEquals("mm", depth.getUnit());
        assertEquals(TaskKind.TASK_KIND_EDGES, model.getTasks(4).getKind());
        try (SafetensorsFile io = SafetensorsFile.open(CASE.resolve("io.safetensors"), "io.safetensors")) {
            for (TaskInfo task : model.getTasksList()) {
                float[] omega = new float[task.getOmegaCount()];
                for (int s = 0; s < omega.length; s++) {
                    omega[s] = task.getOmega(s);
                }
                assertArrayEquals(io.readFloats("debug/" + task.getName() + "/omega"), omega, 1e-6f, task.getName());
            }
        }
        assertEquals(model, stub.getModel(GetModelRequest.newBuilder().setName(MODEL).build()));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.getModel(GetModelRequest.newBuilder().setName("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void reflectionDescribesBothServices() throws Exception {
        List<ServerReflectionResponse> answers = reflection.serverReflectionInfo(Multi.createFrom().items(
                ServerReflectionRequest.newBuilder().setListServices("").build(),
                ServerReflectionRequest.newBuilder().setFileContainingSymbol("sinewich.v1.SinewichService").build()))
                .collect().asList().await().atMost(Duration.ofSeconds(30));
        List<String> services = answers.get(0).getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName).toList();
        assertTrue(services.containsAll(List.of("sinewich.v1.SinewichService", "inference.GRPCInferenceService")),
                services::toString);
        assertEquals("sinewich/v1/sinewich.proto", FileDescriptorProto.parseFrom(
                answers.get(1).getFileDescriptorResponse().getFileDescriptorProto(0)).getName());
    }

    @Test
    void aPngRunsSeveralTasksAndEqualsTheSamePixelsSentRaw() {
        int h = 20;
        int w = 30;
        byte[] planar = pattern(h, w);
        PredictRequest.Builder request = PredictRequest.newBuilder().setModelName(MODEL).setId("p-1")
                .addAllTasks(List.of("semseg", "depth", "normals")).addOutputs("labels").addOutputs("probabilities");
        PredictResponse png = stub.predict(request.setEncoded(ByteString.copyFrom(PngWriter.rgb8(h, w, planar)))
                .build());
        assertEquals("p-1", png.getId());
        assertEquals(MODEL, png.getModelName());
        assertEquals("1", png.getModelVersion());
        assertFalse(png.hasError());
        assertTrue(png.getComputeSeconds() > 0 && png.getQueueSeconds() >= 0);
        assertEquals(List.of("semseg", "depth", "normals"), png.getResultsList().stream().map(TaskResult::getTask)
                .toList());
        TaskResult semseg = png.getResults(0);
        assertEquals(TaskKind.TASK_KIND_SEGMENTATION, semseg.getKind());
        assertTensor(semseg.getTensors(0), "labels", DataType.DATA_TYPE_INT32, h, w);
        assertTensor(semseg.getTensors(1), "probabilities", DataType.DATA_TYPE_FLOAT32, 5, h, w);
        assertTensor(png.getResults(1).getTensors(0), "depth", DataType.DATA_TYPE_FLOAT32, h, w);
        assertTensor(png.getResults(2).getTensors(0), "normals", DataType.DATA_TYPE_FLOAT32, 3, h, w);

        byte[] interleaved = new byte[planar.length];
        for (int p = 0; p < h * w; p++) {
            for (int c = 0; c < 3; c++) {
                interleaved[3 * p + c] = planar[c * h * w + p];
            }
        }
        PredictResponse raw = stub.predict(request.setUint8Image(Uint8Image.newBuilder().setHeight(h).setWidth(w)
                .setData(ByteString.copyFrom(interleaved))).build());
        for (int t = 0; t < 3; t++) {
            for (int i = 0; i < png.getResults(t).getTensorsCount(); i++) {
                Tensor a = png.getResults(t).getTensors(i);
                Tensor b = raw.getResults(t).getTensors(i);
                assertEquals(a.getShapeList(), b.getShapeList());
                if (a.getDtype() == DataType.DATA_TYPE_INT32) {
                    assertEquals(a.getData(), b.getData(), a.getName());
                } else {
                    assertClose(a.getName(), floats(a), floats(b));
                }
            }
        }
    }

    @Test
    void aRawFloatImageMatchesTheReferenceForEveryTask() {
        try (SafetensorsFile io = SafetensorsFile.open(CASE.resolve("io.safetensors"), "io.safetensors")) {
            long[] shape = io.tensors().get("input").shape(); // (2, 3, h, w): the first image is sent
            int h = (int) shape[2];
            int w = (int) shape[3];
            float[] first = Arrays.copyOf(io.readFloats("input"), 3 * h * w);
            PredictResponse response = stub.predict(PredictRequest.newBuilder().setModelName(MODEL)
                    .setFloatImage(FloatImage.newBuilder().setHeight(h).setWidth(w).setData(littleEndian(first)))
                    .addOutputs("labels").addOutputs("probabilities").build());
            assertEquals(TASKS, response.getResultsList().stream().map(TaskResult::getTask).toList());
            for (TaskResult result : response.getResultsList()) {
                for (Tensor tensor : result.getTensorsList()) {
                    String key = result.getTask() + "/" + tensor.getName();
                    long[] expectedShape = io.tensors().get(key).shape();
                    assertEquals(Arrays.stream(expectedShape).skip(1).boxed().toList(), tensor.getShapeList(), key);
                    int n = (int) (io.tensors().get(key).elementCount() / expectedShape[0]);
                    if (tensor.getDtype() == DataType.DATA_TYPE_INT32) {
                        ReferenceLabels.assertConfidentLabels(key, Arrays.copyOf(io.readLongs(key), n), ints(tensor),
                                Arrays.copyOf(io.readFloats(result.getTask() + "/margin"), n), TOLERANCE);
                    } else {
                        assertClose(key, Arrays.copyOf(io.readFloats(key), n), floats(tensor));
                    }
                }
            }
            assertEquals(2, response.getResults(0).getTensorsCount(), "labels and the requested probabilities");
        }
    }

    @Test
    void aStreamAnswersEveryFrameInOrderAndConfinesAFailureToItsFrame() {
        byte[] png = PngWriter.rgb8(12, 16, pattern(12, 16));
        List<PredictRequest> frames = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] file = i == 2 ? Arrays.copyOf(png, 60) : png; // frame 2: a PNG cut off after its header
            frames.add(PredictRequest.newBuilder().setModelName(i == 0 ? MODEL : "").setId("f" + i)
                    .setEncoded(ByteString.copyFrom(file)).addTasks("depth").build());
        }
        List<PredictResponse> answers = mutiny.predictStream(Multi.createFrom().iterable(frames)).collect().asList()
                .await().atMost(Duration.ofSeconds(60));
        assertEquals(5, answers.size());
        for (int i = 0; i < 5; i++) {
            PredictResponse a = answers.get(i);
            assertEquals(i, a.getSequence());
            assertEquals("f" + i, a.getId());
            assertEquals(MODEL, a.getModelName());
            if (i == 2) {
                assertEquals(Status.Code.INVALID_ARGUMENT.value(), a.getError().getCode());
                assertTrue(a.getError().getMessage().contains("image"), a.getError().getMessage());
                assertEquals(0, a.getResultsCount());
            } else {
                assertFalse(a.hasError(), () -> a.getError().getMessage());
                assertTensor(a.getResults(0).getTensors(0), "depth", DataType.DATA_TYPE_FLOAT32, 12, 16);
            }
        }
    }

    @Test
    void aStreamThatSwitchesModelEndsWithInvalidArgument() {
        PredictRequest.Builder frame = PredictRequest.newBuilder().setModelName(MODEL).addTasks("edges")
                .setUint8Image(Uint8Image.newBuilder().setHeight(2).setWidth(2).setData(ByteString.copyFrom(
                        new byte[12])));
        List<PredictResponse> answers = new ArrayList<>();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> mutiny.predictStream(
                Multi.createFrom().items(frame.build(), frame.setModelName("other").build()))
                .onItem().invoke(answers::add).collect().asList().await().atMost(Duration.ofSeconds(60)));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("one stream per model"), e.getStatus().getDescription());
        assertEquals(1, answers.size());
        assertFalse(answers.get(0).hasError());
    }

    @Test
    void aStreamThatSendsFarAheadOfTheAnswersEndsWithResourceExhausted() {
        // each frame waits at least the batching delay, so 50 frames sent at once cannot all be taken
        List<PredictRequest> frames = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            frames.add(PredictRequest.newBuilder().setModelName(MODEL).addTasks("edges").setId("f" + i)
                    .setUint8Image(Uint8Image.newBuilder().setHeight(2).setWidth(2).setData(ByteString.copyFrom(
                            new byte[12]))).build());
        }
        List<PredictResponse> answers = new ArrayList<>();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> mutiny.predictStream(
                Multi.createFrom().iterable(frames)).onItem().invoke(answers::add).collect().asList()
                .await().atMost(Duration.ofSeconds(60)));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("waiting unanswered"), e.getStatus().getDescription());
        assertTrue(answers.size() < 50, "answers: " + answers.size());
        for (int i = 0; i < answers.size(); i++) {
            assertEquals("f" + i, answers.get(i).getId());
        }
    }

    @Test
    void badCallsGetStatusCodesWithMessages() {
        PredictRequest good = PredictRequest.newBuilder().setModelName(MODEL).addTasks("depth")
                .setUint8Image(Uint8Image.newBuilder().setHeight(2).setWidth(2).setData(ByteString.copyFrom(
                        new byte[12]))).build();
        // a call deadline longer than the longest timeout a request may ask for only caps the default
        assertEquals(1, stub.withDeadlineAfter(1, TimeUnit.HOURS).predict(good).getResultsCount());
        assertStatus(good.toBuilder().setModelName("nope").build(), Status.Code.NOT_FOUND, "unknown model 'nope'");
        assertStatus(good.toBuilder().addTasks("sky").build(), Status.Code.INVALID_ARGUMENT,
                "unknown task 'sky'; this model serves semseg, depth, normals, saliency, edges");
        byte[] png = PngWriter.rgb8(4, 4, new byte[48]);
        assertStatus(good.toBuilder().setEncoded(ByteString.copyFrom(Arrays.copyOf(png, png.length - 20))).build(),
                Status.Code.INVALID_ARGUMENT, "image");
        assertStatus(good.toBuilder().clearUint8Image().build(), Status.Code.INVALID_ARGUMENT, "no image");
        assertStatus(good.toBuilder().setFloatImage(FloatImage.newBuilder().setHeight(2).setWidth(2)
                .setData(ByteString.copyFrom(new byte[47]))).build(), Status.Code.INVALID_ARGUMENT, "float_image.data");
        // a large image takes its pass well past 1 ms (resizing alone), however fast the engine
        int side = 1024;
        PredictRequest slow = good.toBuilder().clearTasks().setTimeoutMs(1).setUint8Image(Uint8Image.newBuilder()
                .setHeight(side).setWidth(side).setData(ByteString.copyFrom(new byte[3 * side * side]))).build();
        assertStatus(slow, Status.Code.DEADLINE_EXCEEDED, "deadline");

        String scrape = Management.given().accept("text/plain").get("/q/metrics").then().statusCode(200).extract().asString()
                .replace(",}", "}");
        for (String reason : new String[] {"not_found", "invalid_input", "deadline"}) {
            String series = "sinewich_failures_total{api=\"grpc_native\",reason=\"" + reason + "\"} ";
            double count = scrape.lines().filter(l -> l.startsWith(series)).mapToDouble(l -> Double.parseDouble(
                    l.substring(series.length()).trim())).findFirst().orElse(0);
            assertTrue(count > 0, () -> reason + " failures on grpc_native: " + count);
        }
    }

    private void assertStatus(PredictRequest request, Status.Code code, String message) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.predict(request));
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(message), e.getStatus().getDescription());
    }

    /** A deterministic planar (3, h, w) RGB pattern. */
    private static byte[] pattern(int h, int w) {
        byte[] rgb = new byte[3 * h * w];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) ((i * 37 + i / 7) % 256);
        }
        return rgb;
    }

    private static void assertTensor(Tensor t, String name, DataType dtype, long... shape) {
        assertEquals(name, t.getName());
        assertEquals(dtype, t.getDtype(), name);
        assertEquals(Arrays.stream(shape).boxed().toList(), t.getShapeList(), name);
        assertEquals(Arrays.stream(shape).reduce(4, (a, b) -> a * b), t.getData().size(), name + " bytes");
    }

    private static ByteString littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return ByteString.copyFrom(b.array());
    }

    private static float[] floats(Tensor t) {
        float[] values = new float[t.getData().size() / 4];
        t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    private static int[] ints(Tensor t) {
        int[] values = new int[t.getData().size() / 4];
        t.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(values);
        return values;
    }

    private static void assertClose(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], TOLERANCE, what + " at " + i);
        }
    }
}
