package dev.sinewich.serve.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replacing the served bundle at run time through the admin endpoint, from the model repository:
 * every broken bundle is refused with 400 and its problem, and the previous model goes on serving,
 * same version; a good bundle then replaces it.
 */
class ReloadFaultsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_KEY = "reload-test-admin-key";
    private static final String INFER = "/v2/models/" + BrokenBundles.MODEL + "/infer";
    private static final String REQUEST = "{\"parameters\":{\"task\":\"depth\"},\"inputs\":[{\"name\":\"image\","
            + "\"datatype\":\"UINT8\",\"shape\":[1,2,2,3],\"data\":[255,0,0,0,255,0,0,0,255,9,9,9]}]}";

    @TempDir
    Path tmp;

    @Test
    void aFailedReloadKeepsThePreviousModelAndAGoodOneReplacesIt() throws Exception {
        Path served = BrokenBundles.copy(tmp.resolve("served"), "1");
        Map<String, String> env = Map.of("SINEWICH_MODEL_PATH", served.toString(),
                "SINEWICH_SECURITY_ADMIN_ENABLED", "true", "SINEWICH_SECURITY_ADMIN_KEYS", ADMIN_KEY,
                "SINEWICH_MODEL_REPOSITORY", tmp.toString());
        try (ServerProcess server = ServerProcess.start(env)) {
            server.awaitReady(Duration.ofSeconds(180));
            assertServes(server, "1");
            Map<String, Path> broken = Map.of(
                    "truncated", BrokenBundles.truncated(tmp.resolve("truncated")),
                    "header is not valid JSON", BrokenBundles.corruptHeader(tmp.resolve("header")),
                    "expected shape", BrokenBundles.misShaped(tmp.resolve("shape")),
                    "element 0 is NaN", BrokenBundles.nanTensor(tmp.resolve("nan")),
                    "not a bundle inside the model repository", tmp.resolve("missing"));
            for (Map.Entry<String, Path> e : broken.entrySet()) {
                HttpResponse<String> r = reload(server, e.getValue());
                assertEquals(400, r.statusCode(), r.body());
                String error = JSON.readTree(r.body()).get("error").asText();
                assertTrue(error.contains(e.getKey()), () -> "expected '" + e.getKey() + "' in: " + r.body());
                assertServes(server, "1");
            }
            HttpResponse<String> good = reload(server, BrokenBundles.copy(tmp.resolve("next"), "2"));
            assertEquals(200, good.statusCode(), good.body());
            assertEquals("2", JSON.readTree(good.body()).get("version").asText(), good.body());
            assertServes(server, "2");
            assertEquals(200, server.get("/q/health/ready").statusCode());
        }
    }

    private static HttpResponse<String> reload(ServerProcess server, Path bundle) throws Exception {
        String body = JSON.writeValueAsString(Map.of("path", bundle.toString()));
        return server.send(HttpRequest.newBuilder(URI.create(server.url("/admin/model")))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + ADMIN_KEY).PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** An inference succeeds and the metadata shows the version. */
    private static void assertServes(ServerProcess server, String version) throws Exception {
        HttpResponse<String> r = server.postJson(INFER, REQUEST);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(version, JSON.readTree(r.body()).get("model_version").asText(), r.body());
        JsonNode meta = JSON.readTree(server.get("/v2/models/" + BrokenBundles.MODEL).body());
        assertEquals("[\"" + version + "\"]", meta.get("versions").toString(), meta.toString());
    }
}
