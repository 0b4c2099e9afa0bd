package dev.sinewich.serve.api.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sinewich.serve.api.grpc.oip.GRPCInferenceServiceGrpc;
import dev.sinewich.serve.api.grpc.oip.InferParameter;
import dev.sinewich.serve.api.grpc.oip.ModelInferRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The outputs one request may produce are bounded before it runs
 * ({@code sinewich.limits.max-output-values}, 1,000 in this profile): a 20 × 30 image's labels (600
 * values) are made, its semseg probabilities (5 classes, 3,000 values) or labels plus normals (2,400)
 * are refused with 413 / INVALID_ARGUMENT and both figures, and the server goes on serving.
 */
@QuarkusTest
@TestProfile(OutputLimitTest.SmallOutputLimit.class)
class OutputLimitTest {

    private static final String MODEL = "s4-mixed-downscale";

    /** A small output limit. */
    public static class SmallOutputLimit implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.limits.max-output-values", "1000");
        }
    }

    @GrpcClient("oip")
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip;

    private static String request(String task, String outputs) {
        int[] data = new int[20 * 30 * 3];
        Arrays.setAll(data, i -> (i * 37) % 256);
        return "{\"parameters\": {\"task\": \"" + task + "\"}, \"inputs\": [{\"name\": \"image\", \"datatype\": "
                + "\"UINT8\", \"shape\": [1, 20, 30, 3], \"data\": " + Arrays.toString(data) + "}]" + outputs + "}";
    }

    @Test
    void outputsOverTheLimitAreRefusedBeforeTheyRun() {
        given().contentType(ContentType.JSON).body(request("semseg", ""))
                .post("/v2/models/" + MODEL + "/infer").then().statusCode(200);
        given().contentType(ContentType.JSON)
                .body(request("semseg", ", \"outputs\": [{\"name\": \"labels\"}, {\"name\": \"probabilities\"}]"))
                .post("/v2/models/" + MODEL + "/infer").then().statusCode(413)
                .body("error", containsString("would hold 3600 values, more than the 1000 one request may produce"));
        given().contentType("image/png").body(dev.sinewich.serve.imaging.PatternImages.png(20, 30))
                .post("/v1/models/" + MODEL + "/predict?task=semseg&task=normals").then().statusCode(413)
                .body("error", containsString("sinewich.limits.max-output-values"));

        byte[] raw = new byte[20 * 30 * 3];
        ModelInferRequest probabilities = ModelInferRequest.newBuilder().setModelName(MODEL)
                .putParameters("task", InferParameter.newBuilder().setStringParam("semseg").build())
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("UINT8")
                        .addShape(1).addShape(20).addShape(30).addShape(3))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("probabilities"))
                .addRawInputContents(ByteString.copyFrom(raw)).build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> oip.modelInfer(probabilities));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("would hold 3000 values"), e.getStatus().getDescription());

        given().contentType(ContentType.JSON).body(request("depth", ""))
                .post("/v2/models/" + MODEL + "/infer").then().statusCode(200);
    }
}
