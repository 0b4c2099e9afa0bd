package dev.sinewich.serve.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.api.grpc.oip.GRPCInferenceServiceGrpc;
import dev.sinewich.serve.api.grpc.oip.ModelMetadataRequest;
import dev.sinewich.serve.api.grpc.oip.ServerReadyRequest;
import dev.sinewich.serve.bundle.BundleFiles;
import dev.sinewich.serve.testing.LogCapture;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import dev.sinewich.serve.testing.Management;

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
                    "sinewich.security.admin-keys", ADMIN, "sinewich.model.repository", repository().toString(),
                    "sinewich.model.max-bundle-size", "4M",
                    // the server's own log at DEBUG, so that the key scan below sees everything it says
                    "quarkus.log.category.\"dev.sinewich\".level", "DEBUG");
        }
    }

    /**
     * The model repository of these tests: the two conformance bundles the admin test loads, copied
     * in (a link out of the repository would be refused), made once per JVM.
     */
    static synchronized Path repository() {
        Path root = Paths.get("target/admin-repository").toAbsolutePath();
        try {
            for (String bundle : new String[] {"s2_lora_lowpass_clock", "s4_mixed_downscale"}) {
                Path target = root.resolve(bundle);
                Files.createDirectories(target);
                for (String file : new String[] {"sinewich.json", "model.safetensors"}) {
                    Files.copy(CONFORMANCE.resolve(bundle + "/bundle/" + file), target.resolve(file),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return root;
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
        Management.given().get("/q/health/ready").then().statusCode(200);
        Management.given().get("/q/metrics").then().statusCode(200).body(not(containsString(KEY)));
    }

    /**
     * No key value reaches the log, at DEBUG: not the inference key, not the admin key, not a wrong
     * key a caller sent, after authenticated and refused calls on REST and gRPC.
     */
    @Test
    void keysNeverReachTheLog() {
        String wrong = "wrong-key-7f3a9c";
        List<String> messages;
        try (LogCapture capture = LogCapture.start()) {
            given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("depth"))
                    .post("/v2/models/" + S4 + "/infer").then().statusCode(200);
            given().auth().oauth2(wrong).contentType(ContentType.JSON).body(infer("depth"))
                    .post("/v2/models/" + S4 + "/infer").then().statusCode(401);
            given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("nope"))
                    .post("/v2/models/" + S4 + "/infer").then().statusCode(400);
            given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"path\":\"missing\"}")
                    .put("/admin/model").then().statusCode(400);
            given().auth().oauth2(wrong).delete("/admin/model").then().statusCode(401);
            for (String key : new String[] {KEY, wrong}) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
                try {
                    stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                            .modelMetadata(ModelMetadataRequest.newBuilder().setName(S4).build());
                } catch (StatusRuntimeException refused) {
                    assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
                }
            }
            messages = capture.lines();
        }
        assertTrue(messages.stream().anyMatch(m -> m.contains("request refused with 400")),
                () -> "the scan saw the server's DEBUG lines: " + messages);
        for (String secret : new String[] {KEY, ADMIN, wrong}) {
            assertTrue(messages.stream().noneMatch(m -> m.contains(secret)),
                    () -> "a key value in the log: " + messages.stream().filter(m -> m.contains(secret)).toList());
        }
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
        Path broken = Files.createTempDirectory(repository(), "broken-bundle");
        Files.copy(CONFORMANCE.resolve("s2_lora_lowpass_clock/bundle/sinewich.json"), broken.resolve("sinewich.json"));
        Files.write(broken.resolve("model.safetensors"), new byte[] {1, 2, 3});
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"path\":\"" + broken + "\"}")
                .put("/admin/model").then().statusCode(400).body("error", containsString("model.safetensors"));
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("depth"))
                .post("/v2/models/" + S4 + "/infer").then().statusCode(200);

        // replace (a path relative to the repository), unload, load back (an absolute one inside it)
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON)
                .body("{\"path\":\"s2_lora_lowpass_clock\"}")
                .put("/admin/model").then().statusCode(200).body("name", equalTo(S2));
        // the model-info metric follows the served model
        String afterReplace = Management.given().accept("text/plain").get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(afterReplace.contains("model=\"" + S2 + "\""), "sinewich_model_info shows the new model");
        assertTrue(!afterReplace.contains("model=\"" + S4 + "\""), "and no longer the replaced one");
        given().auth().oauth2(KEY).get("/v2/models/" + S4).then().statusCode(404);
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("saliency"))
                .post("/v2/models/" + S2 + "/infer").then().statusCode(200);
        given().auth().oauth2(ADMIN).delete("/admin/model").then().statusCode(204);
        assertTrue(!Management.given().accept("text/plain").get("/q/metrics").then().statusCode(200).extract().asString()
                .contains("sinewich_model_info{"), "no model-info series while nothing is served");
        given().get("/v2/health/ready").then().statusCode(503);
        Management.given().get("/q/health/ready").then().statusCode(503);
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("saliency"))
                .post("/v2/models/" + S2 + "/infer").then().statusCode(503).header("Retry-After", "1");
        // gRPC says the same: UNAVAILABLE, with a message
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + KEY);
        StatusRuntimeException none = assertThrows(StatusRuntimeException.class, () -> stub
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .modelMetadata(ModelMetadataRequest.newBuilder().setName(S2).build()));
        assertEquals(Status.Code.UNAVAILABLE, none.getStatus().getCode(), none.getStatus().toString());
        assertTrue(none.getStatus().getDescription() != null && !none.getStatus().getDescription().isBlank());
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON)
                .body("{\"path\":\"" + repository().resolve("s4_mixed_downscale") + "\"}")
                .put("/admin/model").then().statusCode(200).body("name", equalTo(S4));
        given().get("/v2/health/ready").then().statusCode(200);
    }

    /**
     * Admin loads are confined to the model repository: a bundle outside it (by absolute path,
     * {@code ..}, or a link that leads out), system files, {@code /proc}, a FIFO, a NUL byte, the
     * root itself and a missing path all get the one refusal, which names no server path; a zip
     * that unpacks past the size limit is stopped there. The served model goes on serving.
     */
    @Test
    void adminLoadsStayInsideTheModelRepository() throws Exception {
        Path root = repository();
        Path outside = Files.createTempDirectory("outside-repository");
        for (String file : new String[] {"sinewich.json", "model.safetensors"}) {
            Files.copy(CONFORMANCE.resolve("s2_lora_lowpass_clock/bundle/" + file), outside.resolve(file));
        }
        Path link = root.resolve("link-out");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, outside);
        Path fifo = root.resolve("pipe");
        Files.deleteIfExists(fifo);
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        // JSON string contents: the NUL byte is sent as the escape \\u0000
        String[] refused = {outside.toString(), link.toString(), "link-out", "../../../../etc", "/etc/passwd",
            "/proc/self/environ", "s2_lora_lowpass_clock/../..", "missing", fifo.toString(), "pipe",
            "s2_lora_lowpass_clock\\u0000/x", root.toString(), "."};
        for (String path : refused) {
            String error = given().auth().oauth2(ADMIN).contentType(ContentType.JSON)
                    .body("{\"path\":\"" + path + "\"}").put("/admin/model")
                    .then().statusCode(400).extract().path("error");
            assertEquals(dev.sinewich.serve.serving.ModelRepository.REFUSAL, error, path);
        }

        // 8 MiB of zeros zip to a few KiB; the limit in these tests is 4 MiB
        Path zip = root.resolve("too-big.zip");
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new java.util.zip.ZipEntry("sinewich.json"));
            out.write(Files.readAllBytes(CONFORMANCE.resolve("s2_lora_lowpass_clock/bundle/sinewich.json")));
            out.putNextEntry(new java.util.zip.ZipEntry("model.safetensors"));
            out.write(new byte[8 << 20]);
        }
        assertTrue(Files.size(zip) < (1 << 20), "the zip is small: " + Files.size(zip));
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"path\":\"too-big.zip\"}")
                .put("/admin/model").then().statusCode(400)
                .body("error", containsString("unpacks to more than 4194304 bytes"))
                .body("error", not(containsString("/")));

        given().get("/v2/health/ready").then().statusCode(200);
        given().auth().oauth2(KEY).contentType(ContentType.JSON).body(infer("depth"))
                .post("/v2/models/" + S4 + "/infer").then().statusCode(200);
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
