package dev.sinewich.serve.api.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sinewich.serve.api.grpc.oip.GRPCInferenceServiceGrpc;
import dev.sinewich.serve.api.grpc.oip.InferParameter;
import dev.sinewich.serve.api.grpc.oip.ModelInferRequest;
import dev.sinewich.serve.api.grpc.v1.PredictRequest;
import dev.sinewich.serve.api.grpc.v1.PredictResponse;
import dev.sinewich.serve.api.grpc.v1.SinewichService;
import dev.sinewich.serve.api.grpc.v1.SinewichServiceGrpc;
import dev.sinewich.serve.imaging.PatternImages;
import dev.sinewich.serve.serving.InferenceService;
import dev.sinewich.serve.serving.TensorBudget;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The decoded images and outputs of all requests in flight share one memory budget
 * ({@code sinewich.limits.max-inflight-tensor-bytes}, 4 MiB in this profile) on every surface: a
 * request that could never fit is refused with 413 / INVALID_ARGUMENT before its pixels are decoded,
 * one that does not fit beside the requests in flight with 429 + {@code Retry-After} /
 * RESOURCE_EXHAUSTED, JSON outputs are counted at their text size, stream frames from their arrival
 * (a frame that finds no room is answered with RESOURCE_EXHAUSTED and keeps nothing while it
 * waits), and every request gives its share back once it is answered, whatever the answer.
 */
@QuarkusTest
@TestProfile(MemoryBudgetTest.SmallBudget.class)
class MemoryBudgetTest {

    private static final String MODEL = "s4-mixed-downscale";
    private static final long LIMIT = 4L << 20;

    /** A 4 MiB budget. */
    public static class SmallBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.limits.max-inflight-tensor-bytes", String.valueOf(LIMIT));
        }
    }

    @Inject
    InferenceService service;

    @GrpcClient("oip")
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip;

    @GrpcClient("sinewich")
    SinewichServiceGrpc.SinewichServiceBlockingStub typed;

    @GrpcClient("sinewich")
    SinewichService streams;

    /** 600 × 600 pixels: 5.8 MB at 16 bytes per pixel, over the budget alone. */
    private static final byte[] LARGE = PatternImages.png(600, 600);
    private static final byte[] SMALL = PatternImages.png(20, 30);

    @AfterEach
    void everyLeaseIsGivenBack() throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (service.budget().used() != 0 && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertEquals(0, service.budget().used(), "bytes still reserved after every request was answered");
    }

    private static String oipBytes(byte[] png, String task, String extra) {
        return "{\"parameters\": {\"task\": \"" + task + "\"" + extra + "}, \"inputs\": [{\"name\": \"image\", "
                + "\"datatype\": \"BYTES\", \"shape\": [1], \"data\": [\"" + Base64.getEncoder().encodeToString(png)
                + "\"]}]}";
    }

    private static ModelInferRequest grpcBytes(byte[] png) {
        ByteBuffer raw = ByteBuffer.allocate(4 + png.length).order(ByteOrder.LITTLE_ENDIAN).putInt(png.length).put(png);
        return ModelInferRequest.newBuilder().setModelName(MODEL)
                .putParameters("task", InferParameter.newBuilder().setStringParam("depth").build())
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("BYTES")
                        .addShape(1))
                .addRawInputContents(ByteString.copyFrom(raw.array())).build();
    }

    private static PredictRequest typedRequest(byte[] png) {
        return PredictRequest.newBuilder().setModelName(MODEL).addTasks("depth")
                .setEncoded(ByteString.copyFrom(png)).build();
    }

    private static void expect(Status.Code code, String fragment, Supplier<?> call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::get);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(fragment), e.getStatus().getDescription());
    }

    @Test
    void aRequestThatCouldNeverFitIsRefusedOnEverySurface() {
        String setting = "sinewich.limits.max-inflight-tensor-bytes";
        given().contentType(ContentType.JSON).body(oipBytes(LARGE, "depth", ""))
                .post("/v2/models/" + MODEL + "/infer").then().statusCode(413)
                .body("error", containsString(setting)).body("error", containsString("360000 image pixels"));
        given().contentType("image/png").body(LARGE).post("/v1/models/" + MODEL + "/predict?task=depth")
                .then().statusCode(413).body("error", containsString(setting));
        expect(Status.Code.INVALID_ARGUMENT, setting, () -> oip.modelInfer(grpcBytes(LARGE)));
        expect(Status.Code.INVALID_ARGUMENT, setting, () -> typed.predict(typedRequest(LARGE)));
        // the server goes on serving
        given().contentType(ContentType.JSON).body(oipBytes(SMALL, "depth", ""))
                .post("/v2/models/" + MODEL + "/infer").then().statusCode(200);
    }

    @Test
    void streamFramesAreCountedFromTheirArrival() {
        PredictRequest f0 = typedRequest(SMALL).toBuilder().setId("f0").build();
        PredictRequest f1 = typedRequest(SMALL).toBuilder().setId("f1").build();
        List<PredictResponse> refused;
        try (TensorBudget.Lease others = service.budget().lease()) {
            others.reserve(LIMIT - 10, "requests in flight");
            refused = streams.predictStream(Multi.createFrom().items(f0, f1)).collect().asList()
                    .await().atMost(Duration.ofSeconds(60));
            assertEquals(LIMIT - 10, service.budget().used(), "refused frames keep nothing");
        }
        assertEquals(2, refused.size(), "every frame is answered");
        for (int i = 0; i < 2; i++) {
            PredictResponse answer = refused.get(i);
            assertEquals("f" + i, answer.getId());
            assertEquals(Status.Code.RESOURCE_EXHAUSTED.value(), answer.getError().getCode());
            assertTrue(answer.getError().getMessage().contains("a stream frame waiting its turn")
                    && answer.getError().getMessage().contains("max-inflight-tensor-bytes"),
                    answer.getError().getMessage());
        }
        List<PredictResponse> served = streams.predictStream(Multi.createFrom().items(f0, f1)).collect().asList()
                .await().atMost(Duration.ofSeconds(60));
        assertEquals(2, served.size());
        served.forEach(answer -> assertTrue(!answer.hasError() && answer.getResultsCount() == 1,
                answer.getError().getMessage()));
    }

    @Test
    void aRequestThatDoesNotFitBesideOthersIsToldToRetry() {
        try (TensorBudget.Lease others = service.budget().lease()) {
            others.reserve(LIMIT - 1000, "requests in flight");
            given().contentType(ContentType.JSON).body(oipBytes(SMALL, "depth", ""))
                    .post("/v2/models/" + MODEL + "/infer").then().log().ifValidationFails().statusCode(429)
                    .header("Retry-After", notNullValue()).body("error", containsString("retry later"));
            given().contentType("image/png").body(SMALL).post("/v1/models/" + MODEL + "/predict?task=depth")
                    .then().statusCode(429).header("Retry-After", notNullValue());
            expect(Status.Code.RESOURCE_EXHAUSTED, "max-inflight-tensor-bytes", () -> oip.modelInfer(grpcBytes(SMALL)));
            expect(Status.Code.RESOURCE_EXHAUSTED, "max-inflight-tensor-bytes",
                    () -> typed.predict(typedRequest(SMALL)));
            assertEquals(LIMIT - 1000, service.budget().used(), "refused requests keep nothing");
        }
        given().contentType(ContentType.JSON).body(oipBytes(SMALL, "depth", ""))
                .post("/v2/models/" + MODEL + "/infer").then().statusCode(200);
        assertEquals(1, typed.predict(typedRequest(SMALL)).getResultsCount());
    }

    @Test
    void jsonOutputsAreCountedAtTheirTextSize() {
        // 300 × 400 pixels: 1.9 MB of images; 120,000 semseg labels take 0.96 MB binary, 4.8 MB as JSON text
        byte[] png = PatternImages.png(300, 400);
        String outputs = ", \"outputs\": [{\"name\": \"labels\"}]";
        given().contentType(ContentType.JSON)
                .body(oipBytes(png, "semseg", "").replace("]}]}", "]}]" + outputs + "}"))
                .post("/v2/models/" + MODEL + "/infer").then().statusCode(413)
                .body("error", containsString("120000 output values as JSON text"));
        given().contentType(ContentType.JSON)
                .body(oipBytes(png, "semseg", ", \"binary_data_output\": true").replace("]}]}", "]}]" + outputs + "}"))
                .post("/v2/models/" + MODEL + "/infer").then().statusCode(200)
                .header("Inference-Header-Content-Length", notNullValue());
    }
}
