package dev.sinewich.serve.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sinewich.serve.api.grpc.oip.GRPCInferenceServiceGrpc;
import dev.sinewich.serve.api.grpc.oip.ModelMetadataRequest;
import dev.sinewich.serve.api.grpc.oip.ServerReadyRequest;
import dev.sinewich.serve.bundle.BundleFiles;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * API keys over REST and gRPC, and the admin endpoints: replacing and unloading the bundle (a
 * failed replacement keeps the old one serving), adding and removing a task.
 */
@QuarkusTest
@TestProfile(SecurityAndAdminTest.Keys.class)
class SecurityAndAdminTest {

    static final String KEY = "inference-key-1";
    static final String ADMIN = "admin-key-1";
    private static final Path CONFORMANCE = Paths.get("src/test/resources/conformance");
    private static final String S4 = "s4-mixed-downscale";
    private static final String S2 = "s2-lora-lowpass-clock";

    /** Keys on, admin on. */
    public static class Keys implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.security.api-keys", KEY, "sinewich.security.admin-enabled", "true",
                    "sinewich.security.admin-keys", ADMIN);
        }
    }

    @GrpcClient("oip")
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

    private static String infer(String task) {
        return "{\"parameters\":{\"task\":\"" + task + "\"},\"inputs\":[{\"name\":\"image\",\"datatype\":\"UINT8\","
                + "\"shape\":[1,2,2,3],\"data\":[1,2,3,4,5,6,7,8,9,10,11,12]}]}";
    }

    @Test
    void inferenceNeedsAKeyWhenKeysAreConfigured() {
        given().contentType(ContentType.JSON).body(infer("depth")).post("/v2/models/" + S4 + "/infer")
                .then().statusCode(401).header("WWW-Authenticate", "Bearer").body("error", containsString("API key"));
        given().auth().oauth2("wrong").contentType(ContentType.JSON).body(infer("depth"))
                .post("/v2/models/" + S4 + "/infer").then().statusCode(401);
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("depth"))
                .post("/v2/models/" + S4 + "/infer").then().statusCode(200);
        given().auth().oauth2(ADMIN).get("/v2/models/" + S4).then().statusCode(200);
        given().get("/v2/health/ready").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200).body(not(containsString(KEY)));
    }

    @Test
    void grpcInferenceNeedsAKeyToo() {
        stub.serverReady(ServerReadyRequest.getDefaultInstance());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(S4).build()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + KEY);
        assertEquals(S4, stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .modelMetadata(ModelMetadataRequest.newBuilder().setName(S4).build()).getName());
    }

    @Test
    void adminChangesTasksAndBundlesAndFailuresLeaveTheOldModelServing() throws Exception {
        given().put("/admin/model").then().statusCode(401);
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body("{\"path\":\"x\"}").put("/admin/model")
                .then().statusCode(401);

        // a task added from a task file, used, then removed
        byte[] taskFile = depthTaskFile("depth.v2");
        given().auth().oauth2(ADMIN).contentType("application/octet-stream").body(taskFile)
                .post("/admin/models/" + S4 + "/tasks").then().statusCode(201).body("tasks", hasItem("depth.v2"));
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("depth.v2"))
                .post("/v2/models/" + S4 + "/infer").then().statusCode(200);
        given().auth().oauth2(ADMIN).delete("/admin/models/" + S4 + "/tasks/depth.v2").then().statusCode(200)
                .body("tasks", not(hasItem("depth.v2")));
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("depth.v2"))
                .post("/v2/models/" + S4 + "/infer").then().statusCode(400).body("error", containsString("unknown task"));

        // a broken bundle is refused and the current model keeps serving
        Path broken = Files.createTempDirectory("broken-bundle");
        Files.copy(CONFORMANCE.resolve("s2_lora_lowpass_clock/bundle/sinewich.json"), broken.resolve("sinewich.json"));
        Files.write(broken.resolve("model.safetensors"), new byte[] {1, 2, 3});
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"path\":\"" + broken + "\"}")
                .put("/admin/model").then().statusCode(400).body("error", containsString("model.safetensors"));
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("depth"))
                .post("/v2/models/" + S4 + "/infer").then().statusCode(200);

        // replace, unload, load back
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON)
                .body("{\"path\":\"" + CONFORMANCE.resolve("s2_lora_lowpass_clock/bundle") + "\"}")
                .put("/admin/model").then().statusCode(200).body("name", equalTo(S2));
        given().auth().oauth2(KEY).get("/v2/models/" + S4).then().statusCode(404);
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("saliency"))
                .post("/v2/models/" + S2 + "/infer").then().statusCode(200);
        given().auth().oauth2(ADMIN).delete("/admin/model").then().statusCode(204);
        given().get("/v2/health/ready").then().statusCode(503);
        given().get("/q/health/ready").then().statusCode(503);
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("saliency"))
                .post("/v2/models/" + S2 + "/infer").then().statusCode(503).header("Retry-After", "1");
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON)
                .body("{\"path\":\"" + CONFORMANCE.resolve("s4_mixed_downscale/bundle") + "\"}")
                .put("/admin/model").then().statusCode(200).body("name", equalTo(S4));
        given().get("/v2/health/ready").then().statusCode(200);
    }

    private static byte[] depthTaskFile(String name) throws Exception {
        Map<String, BundleFiles.Raw> all = BundleFiles.read(CONFORMANCE.resolve("s4_mixed_downscale/bundle/model.safetensors"));
        Map<String, BundleFiles.Raw> mine = new LinkedHashMap<>();
        all.forEach((tensor, raw) -> {
            if (tensor.startsWith("heads.depth.") || tensor.startsWith("tasks.depth.")) {
                mine.put(tensor.replace(".depth.", "." + name + "."), raw);
            }
        });
        Path file = Files.createTempFile("task", ".safetensors");
        BundleFiles.write(file, mine, Map.of("format", "sinewich-task/v1",
                "task", "{\"name\":\"" + name + "\",\"kind\":\"depth\",\"outputs\":1,\"unit\":\"mm\"}"));
        return Files.readAllBytes(file);
    }
}
