package dev.sinewich.serve.api.grpc;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sinewich.serve.api.grpc.oip.GRPCInferenceServiceGrpc;
import dev.sinewich.serve.api.grpc.oip.InferParameter;
import dev.sinewich.serve.api.grpc.oip.InferTensorContents;
import dev.sinewich.serve.api.grpc.oip.ModelInferRequest;
import dev.sinewich.serve.api.grpc.oip.ModelInferResponse;
import dev.sinewich.serve.api.grpc.oip.ModelMetadataRequest;
import dev.sinewich.serve.api.grpc.oip.ModelMetadataResponse;
import dev.sinewich.serve.api.grpc.oip.ModelReadyRequest;
import dev.sinewich.serve.api.grpc.oip.ServerLiveRequest;
import dev.sinewich.serve.api.grpc.oip.ServerReadyRequest;
import dev.sinewich.serve.bundle.SafetensorsFile;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import dev.sinewich.serve.testing.Management;

/**
 * The Open Inference Protocol over real gRPC with the generated blocking stub, serving the
 * conformance bundle {@code s4_mixed_downscale}: raw and typed contents, results against the PyTorch
 * reference, and status codes for bad calls.
 */
@QuarkusTest
class OipGrpcTest {

    private static final Path CASE = Paths.get("src/test/resources/conformance/s4_mixed_downscale");
    private static final String MODEL = "s4-mixed-downscale";

    @GrpcClient("oip")
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

    private static InferParameter text(String s) {
        return InferParameter.newBuilder().setStringParam(s).build();
    }

    /** The repository calls exist only with the admin API on, which it is not by default. */
    @Test
    void theRepositoryCallsAreOffUnlessTheAdminApiIsOn() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.repositoryIndex(
                dev.sinewich.serve.api.grpc.oip.RepositoryIndexRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("sinewich.security.admin-enabled"));
        e = assertThrows(StatusRuntimeException.class, () -> stub.repositoryModelLoad(
                dev.sinewich.serve.api.grpc.oip.RepositoryModelLoadRequest.newBuilder().setModelName("x").build()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
    }

    @Test
    void healthAndMetadata() {
        assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        assertTrue(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        assertTrue(stub.modelReady(ModelReadyRequest.newBuilder().setName(MODEL).build()).getReady());
        ModelMetadataResponse meta = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(MODEL).build());
        assertEquals("image", meta.getInputs(0).getName());
        assertTrue(meta.getOutputsList().stream().anyMatch(o -> o.getName().equals("normals")));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void rawFp32InferenceMatchesTheReference() {
        try (SafetensorsFile io = SafetensorsFile.open(CASE.resolve("io.safetensors"), "io.safetensors")) {
            float[] input = io.readFloats("input");
            ByteBuffer raw = ByteBuffer.allocate(input.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            raw.asFloatBuffer().put(input);
            ModelInferRequest.InferInputTensor.Builder in = ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("image").setDatatype("FP32");
            for (long d : io.tensors().get("input").shape()) {
                in.addShape(d);
            }
            ModelInferResponse response = stub.modelInfer(ModelInferRequest.newBuilder().setModelName(MODEL)
                    .setId("g-1").putParameters("task", text("saliency")).addInputs(in)
                    .addRawInputContents(ByteString.copyFrom(raw.array())).build());
            assertEquals("g-1", response.getId());
            assertEquals("saliency", response.getOutputs(0).getName());
            assertEquals("FP32", response.getOutputs(0).getDatatype());
            float[] expected = io.readFloats("saliency/saliency");
            var out = response.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer();
            assertEquals(expected.length, out.remaining());
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], out.get(i), 1e-4f, "saliency at " + i);
            }
        }
    }

    @Test
    void typedUint8ContentsWork() {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (int i = 0; i < 5 * 7 * 3; i++) {
            contents.addUintContents((i * 29) % 256);
        }
        // a call deadline longer than the longest timeout a request may ask for only caps the default
        ModelInferResponse response = stub.withDeadlineAfter(1, TimeUnit.HOURS).modelInfer(ModelInferRequest
                .newBuilder().setModelName(MODEL).putParameters("task", text("semseg"))
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("UINT8")
                        .addShape(1).addShape(5).addShape(7).addShape(3).setContents(contents))
                .build());
        assertEquals("labels", response.getOutputs(0).getName());
        assertEquals("INT32", response.getOutputs(0).getDatatype());
        assertEquals(5 * 7 * 4, response.getRawOutputContents(0).size());
    }

    @Test
    void badCallsGetInvalidArgumentWithAMessage() {
        ModelInferRequest.Builder noTask = ModelInferRequest.newBuilder().setModelName(MODEL)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("FP32")
                        .addShape(1).addShape(3).addShape(2).addShape(2)
                        .setContents(InferTensorContents.newBuilder().addAllFp32Contents(
                                java.util.Collections.nCopies(12, 0.5f))));
        assertStatus(noTask.build(), Status.Code.INVALID_ARGUMENT, "'task' is required");
        assertStatus(noTask.putParameters("task", text("sky")).build(), Status.Code.INVALID_ARGUMENT, "unknown task");
        assertStatus(noTask.putParameters("task", text("depth")).setModelName("nope").build(), Status.Code.NOT_FOUND,
                "unknown model");
        ModelInferRequest shortRaw = ModelInferRequest.newBuilder().setModelName(MODEL)
                .putParameters("task", text("depth"))
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("FP32")
                        .addShape(1).addShape(3).addShape(2).addShape(2))
                .addRawInputContents(ByteString.copyFrom(new byte[10])).build();
        assertStatus(shortRaw, Status.Code.INVALID_ARGUMENT, "multiple of 4");

        // metrics count each failure by its cause, not as an internal error
        String scrape = Management.given().accept("text/plain").get("/q/metrics").then().statusCode(200).extract().asString()
                .replace(",}", "}");
        for (String reason : new String[] {"invalid_input", "not_found"}) {
            double count = failures(scrape, reason);
            assertTrue(count > 0, () -> reason + " failures on grpc_oip: " + count);
        }
        assertEquals(0, failures(scrape, "internal"), "internal failures on grpc_oip");
    }

    @Test
    void aCallDeadlineTooShortToMeetGivesDeadlineExceeded() {
        ModelInferRequest request = depth600().build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.withDeadlineAfter(1, TimeUnit.MILLISECONDS).modelInfer(request));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    }

    /**
     * The server enforces a deadline itself: with {@code timeout_ms} of 1 ms and a client that would
     * wait an hour, the answer is the server's DEADLINE_EXCEEDED with its own message (a client-side
     * expiry could not produce it).
     */
    @Test
    void theServerEnforcesTheRequestDeadlineItself() {
        ModelInferRequest request = depth600()
                .putParameters("timeout_ms", InferParameter.newBuilder().setInt64Param(1).build()).build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.withDeadlineAfter(1, TimeUnit.HOURS).modelInfer(request));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("did not finish within its deadline of 1 ms"),
                e.getStatus().getDescription());
    }

    /** A depth request for one 600 × 600 FP32 image (zeros), slow enough to meet a short deadline. */
    private static ModelInferRequest.Builder depth600() {
        return ModelInferRequest.newBuilder().setModelName(MODEL).putParameters("task", text("depth"))
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("FP32")
                        .addShape(1).addShape(3).addShape(600).addShape(600))
                .addRawInputContents(ByteString.copyFrom(new byte[3 * 600 * 600 * 4]));
    }

    private void assertStatus(ModelInferRequest request, Status.Code code, String message) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.modelInfer(request));
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(message), e.getStatus().getDescription());
    }

    private static double failures(String scrape, String reason) {
        String series = "sinewich_failures_total{api=\"grpc_oip\",reason=\"" + reason + "\"} ";
        return scrape.lines().filter(l -> l.startsWith(series)).mapToDouble(l -> Double.parseDouble(
                l.substring(series.length()).trim())).findFirst().orElseThrow(() -> new AssertionError("no " + series));
    }
}
