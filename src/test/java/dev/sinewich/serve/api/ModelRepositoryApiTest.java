package dev.sinewich.serve.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.api.grpc.oip.GRPCInferenceServiceGrpc;
import dev.sinewich.serve.api.grpc.oip.ModelReadyRequest;
import dev.sinewich.serve.api.grpc.oip.ModelRepositoryParameter;
import dev.sinewich.serve.api.grpc.oip.RepositoryIndexRequest;
import dev.sinewich.serve.api.grpc.oip.RepositoryIndexResponse;
import dev.sinewich.serve.api.grpc.oip.RepositoryModelLoadRequest;
import dev.sinewich.serve.api.grpc.oip.RepositoryModelUnloadRequest;
import dev.sinewich.serve.api.grpc.oip.ServerMetadataRequest;
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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Open Inference Protocol's model repository extension over REST and gRPC, and the way KServe
 * starts the server: the model path is a folder holding one bundle (as the storage initializer
 * leaves {@code /mnt/models}) and the configured model name replaces the bundle's own. Index, load
 * by name (a folder, a zip), a failed load that keeps the served model, unload, every escape from
 * the repository refused, the admin key required. The methods run in order: they change the
 * served model.
 */
@QuarkusTest
@TestProfile(ModelRepositoryApiTest.Repository.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ModelRepositoryApiTest {

    static final String KEY = "inference-key-r";
    static final String ADMIN = "admin-key-r";
    static final String SERVED = "kserve-demo";
    private static final Path CONFORMANCE = Path.of("src/test/resources/conformance");

    /** Keys on, admin on, a repository, a KServe-style model folder and name. */
    public static class Repository implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path base = layOut();
            return Map.of("sinewich.security.api-keys", KEY, "sinewich.security.admin-enabled", "true",
                    "sinewich.security.admin-keys", ADMIN,
                    "sinewich.model.repository", base.resolve("repo").toString(),
                    "sinewich.model.path", base.resolve("mnt").toString(),
                    "sinewich.model.name", SERVED);
        }
    }

    /**
     * Lays out, once per JVM: {@code mnt/} holding one bundle folder (s4); {@code repo/} with
     * {@code s2-clock/} (a folder), {@code s4.zip}, {@code broken/} (invalid JSON), {@code escape}
     * (a link to a valid bundle outside the repository) and {@code .hidden/}.
     */
    static synchronized Path layOut() {
        Path base = Path.of("target/model-repository-api").toAbsolutePath();
        try {
            if (Files.isDirectory(base.resolve("repo"))) {
                return base;
            }
            Path s2 = CONFORMANCE.resolve("s2_lora_lowpass_clock/bundle");
            Path s4 = CONFORMANCE.resolve("s4_mixed_downscale/bundle");
            Path repo = Files.createDirectories(base.resolve("repo"));
            BundleFiles.copy(s4, base.resolve("mnt/sinewich-bundle"));
            BundleFiles.copy(s2, repo.resolve("s2-clock"));
            BundleFiles.zip(s4, repo.resolve("s4.zip"));
            BundleFiles.copy(s2, repo.resolve("broken"));
            Files.writeString(repo.resolve("broken/sinewich.json"), "{\"format\": ");
            BundleFiles.copy(s2, repo.resolve(".hidden"));
            BundleFiles.copy(s2, base.resolve("outside"));
            Files.createSymbolicLink(repo.resolve("escape"), base.resolve("outside"));
            return base;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @GrpcClient("oip")
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

    private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub as(String key) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static String infer(String task) {
        return "{\"parameters\":{\"task\":\"" + task + "\"},\"inputs\":[{\"name\":\"image\",\"datatype\":\"UINT8\","
                + "\"shape\":[1,2,2,3],\"data\":[1,2,3,4,5,6,7,8,9,10,11,12]}]}";
    }

    private static void servesOnly(String name) {
        given().auth().oauth2(KEY).get("/v2/models").then().statusCode(200).body("models", equalTo(List.of(name)));
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("depth"))
                .post("/v2/models/" + name + "/infer").then().statusCode(200).body("model_name", equalTo(name));
    }

    private static Map<String, String> states() {
        List<Map<String, Object>> index = given().auth().oauth2(ADMIN).post("/v2/repository/index").then()
                .statusCode(200).extract().jsonPath().getList("$");
        return index.stream().collect(Collectors.toMap(e -> (String) e.get("name"), e -> (String) e.get("state")));
    }

    private Map<String, RepositoryIndexResponse.ModelIndex> grpcIndex() {
        return as(ADMIN).repositoryIndex(RepositoryIndexRequest.getDefaultInstance()).getModelsList().stream()
                .collect(Collectors.toMap(RepositoryIndexResponse.ModelIndex::getName, m -> m));
    }

    @Test
    @Order(1)
    void startsOnTheOneBundleInTheModelFolderUnderTheGivenName() {
        servesOnly(SERVED);
        given().auth().oauth2(KEY).get("/v2/models/" + SERVED + "/ready").then().statusCode(200);
        given().auth().oauth2(KEY).get("/v2/models/" + SERVED).then().statusCode(200).body("name", equalTo(SERVED));
        given().auth().oauth2(KEY).get("/v2/models/s4-mixed-downscale/ready").then().statusCode(404)
                .body("error", containsString("this server serves '" + SERVED + "'"));
        given().get("/v2").then().statusCode(200).body("extensions", hasItem("model_repository"));
        assertTrue(stub.serverMetadata(ServerMetadataRequest.getDefaultInstance()).getExtensionsList()
                .contains("model_repository"));
        // the folder served at start-up is not in the repository: nothing there is ready
        assertEquals(Map.of("broken", "UNAVAILABLE", "s2-clock", "UNAVAILABLE", "s4", "UNAVAILABLE"), states());
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"ready\": true}")
                .post("/v2/repository/index").then().statusCode(200).body("$", hasSize(0));
    }

    @Test
    @Order(2)
    void theRepositoryApiNeedsTheAdminKey() {
        for (String path : new String[] {"/v2/repository/index", "/v2/repository/models/s2-clock/load",
                "/v2/repository/models/" + SERVED + "/unload"}) {
            given().post(path).then().statusCode(401).header("WWW-Authenticate", "Bearer")
                    .body("error", containsString("an admin key is required"));
            given().auth().oauth2(KEY).post(path).then().statusCode(401);
            given().auth().oauth2("wrong").post(path).then().statusCode(401);
        }
        for (String key : new String[] {null, KEY, "wrong"}) {
            GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub s = key == null ? stub : as(key);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> s.repositoryIndex(RepositoryIndexRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
            e = assertThrows(StatusRuntimeException.class, () -> s.repositoryModelLoad(
                    RepositoryModelLoadRequest.newBuilder().setModelName("s2-clock").build()));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
            e = assertThrows(StatusRuntimeException.class, () -> s.repositoryModelUnload(
                    RepositoryModelUnloadRequest.newBuilder().setModelName(SERVED).build()));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        }
        // no spelling of the path gets past the key check: refused, or no such endpoint, never answered
        for (String path : new String[] {"//v2/repository/index", "/v2//repository/index", "/v2/repository//index",
                "/v2/repository/index/", "/v2/models/../repository/index", "/v2/%72epository/index",
                "/v2/repository/models/s2-clock//load", "//v2//repository//models//s2-clock//load"}) {
            int status = given().urlEncodingEnabled(false).post(path).then().extract().statusCode();
            assertTrue(status == 401 || status == 404, path + " answered " + status);
        }
        servesOnly(SERVED);
    }

    @Test
    @Order(3)
    void everyNameThatIsNotAnEntryInsideTheRepositoryIsRefusedAlike() {
        for (String name : new String[] {"escape", ".hidden", "s4.zip", "missing", "..%2Fescape",
                "s2-clock%2F..%2F..%2Foutside", "%2Fetc", "a%00b", "sinewich-bundle"}) {
            given().auth().oauth2(ADMIN).urlEncodingEnabled(false).post("/v2/repository/models/" + name + "/load")
                    .then().statusCode(400).body("error", equalTo("not a bundle inside the model repository"));
        }
        // dot segments are resolved by the HTTP layer before routing: no such endpoint
        for (String name : new String[] {"..", "%2e%2e"}) {
            given().auth().oauth2(ADMIN).urlEncodingEnabled(false).post("/v2/repository/models/" + name + "/load")
                    .then().statusCode(404);
        }
        for (String name : new String[] {"escape", ".hidden", "../outside", "/etc", "s2-clock/../escape", ""}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> as(ADMIN)
                    .repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName(name).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), name);
            assertEquals("not a bundle inside the model repository", e.getStatus().getDescription());
        }
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"parameters\": {\"config\": \"{}\"}}")
                .post("/v2/repository/models/s2-clock/load").then().statusCode(400)
                .body("error", equalTo("unsupported load parameter 'config'; none are accepted"));
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"parameters\": {\"unload_dependents\": 1}}")
                .post("/v2/repository/models/" + SERVED + "/unload").then().statusCode(400)
                .body("error", containsString("only \"unload_dependents\" (true or false) is accepted"));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> as(ADMIN).repositoryModelLoad(
                RepositoryModelLoadRequest.newBuilder().setModelName("s2-clock").putParameters("config",
                        ModelRepositoryParameter.newBuilder().setStringParam("{}").build()).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"ready\": \"yes\"}")
                .post("/v2/repository/index").then().statusCode(400).body("error", containsString("\"ready\""));
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("[1]")
                .post("/v2/repository/index").then().statusCode(400).body("error", containsString("JSON object"));
        servesOnly(SERVED);
    }

    @Test
    @Order(4)
    void aFailedLoadKeepsTheServedModelAndTheIndexSaysWhy() {
        given().auth().oauth2(ADMIN).post("/v2/repository/models/broken/load").then().statusCode(400)
                .body("error", containsString("sinewich.json"));
        servesOnly(SERVED);
        List<Map<String, Object>> index = given().auth().oauth2(ADMIN).post("/v2/repository/index").then()
                .statusCode(200).extract().jsonPath().getList("$");
        Map<String, Object> broken = index.stream().filter(m -> m.get("name").equals("broken")).findFirst().orElseThrow();
        assertEquals("UNAVAILABLE", broken.get("state"));
        assertTrue(((String) broken.get("reason")).contains("sinewich.json"), broken.toString());
        // the admin API loads by path through the same checks and the same record
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"path\": \"escape\"}").put("/admin/model")
                .then().statusCode(400).body("error", equalTo("not a bundle inside the model repository"));
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"path\": \"broken\"}").put("/admin/model")
                .then().statusCode(400).body("error", equalTo(broken.get("reason")));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> as(ADMIN)
                .repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("broken").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals(broken.get("reason"), e.getStatus().getDescription());
        servesOnly(SERVED);
    }

    @Test
    @Order(5)
    void loadingByNameServesTheEntryUnderItsName() {
        // by path through /admin the entry's bundle is served under the configured name, not the
        // entry's: the index does not call the entry ready
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"path\": \"s2-clock\"}").put("/admin/model")
                .then().statusCode(200).body("name", equalTo(SERVED));
        servesOnly(SERVED);
        given().auth().oauth2(KEY).get("/v2/models/s2-clock/ready").then().statusCode(404);
        assertEquals(Map.of("broken", "UNAVAILABLE", "s2-clock", "UNAVAILABLE", "s4", "UNAVAILABLE"), states());
        given().auth().oauth2(ADMIN).post("/v2/repository/models/s2-clock/load").then().statusCode(200)
                .body("name", equalTo("s2-clock")).body("state", equalTo("READY"));
        servesOnly("s2-clock");
        given().auth().oauth2(KEY).get("/v2/models/" + SERVED + "/ready").then().statusCode(404);
        assertEquals(Map.of("broken", "UNAVAILABLE", "s2-clock", "READY", "s4", "UNAVAILABLE"), states());
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"ready\": true}")
                .post("/v2/repository/index").then().statusCode(200).body("name", equalTo(List.of("s2-clock")))
                .body("[0].reason", nullValue());
        // a zip, over gRPC
        as(ADMIN).repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("s4").build());
        assertTrue(as(KEY).modelReady(ModelReadyRequest.newBuilder().setName("s4").build()).getReady());
        servesOnly("s4");
        Map<String, RepositoryIndexResponse.ModelIndex> index = grpcIndex();
        assertEquals("READY", index.get("s4").getState());
        assertEquals("UNAVAILABLE", index.get("s2-clock").getState());
        assertEquals("", index.get("s2-clock").getReason());
        assertTrue(index.get("broken").getReason().contains("sinewich.json"));
        assertEquals(List.of("s4"), as(ADMIN).repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true)
                .build()).getModelsList().stream().map(RepositoryIndexResponse.ModelIndex::getName).toList());
    }

    @Test
    @Order(6)
    void unloadingByNameStopsServing() {
        given().auth().oauth2(ADMIN).post("/v2/repository/models/s2-clock/unload").then().statusCode(404)
                .body("error", containsString("this server serves 's4'"));
        // as Triton's clients send it
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON)
                .body("{\"parameters\": {\"unload_dependents\": false}}").post("/v2/repository/models/s4/unload")
                .then().statusCode(200).body("state", equalTo("UNAVAILABLE"));
        given().get("/v2/health/ready").then().statusCode(503);
        assertEquals(Map.of("broken", "UNAVAILABLE", "s2-clock", "UNAVAILABLE", "s4", "UNAVAILABLE"), states());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> as(ADMIN).repositoryModelUnload(
                RepositoryModelUnloadRequest.newBuilder().setModelName("s4").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("no model is loaded"), e.getStatus().getDescription());
        // and back: a load after an unload serves again
        as(ADMIN).repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("s2-clock").build());
        given().get("/v2/health/ready").then().statusCode(200);
        servesOnly("s2-clock");
        as(ADMIN).repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName("s2-clock")
                .putParameters("unload_dependents", ModelRepositoryParameter.newBuilder().setBoolParam(true).build())
                .build());
        given().get("/v2/health/ready").then().statusCode(503);
        given().auth().oauth2(ADMIN).post("/v2/repository/models/s4/load").then().statusCode(200);
        servesOnly("s4");
    }
}
