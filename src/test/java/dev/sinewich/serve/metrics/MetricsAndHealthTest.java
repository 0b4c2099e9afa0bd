package dev.sinewich.serve.metrics;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import dev.sinewich.serve.testing.Management;

/**
 * A real Prometheus scrape after real requests: the exact names Micrometer exports for every meter
 * the server declares, with bounded labels; and the Kubernetes health endpoints. The scrape is kept
 * in {@code target/metrics-scrape.txt} for {@code promtool check metrics} in CI.
 */
@QuarkusTest
class MetricsAndHealthTest {

    private static final String MODEL = "s4-mixed-downscale";

    @Test
    void scrapeHasEveryServerMeter() throws Exception {
        String ok = "{\"parameters\":{\"task\":\"depth\"},\"inputs\":[{\"name\":\"image\",\"datatype\":\"UINT8\","
                + "\"shape\":[1,2,2,3],\"data\":[1,2,3,4,5,6,7,8,9,10,11,12]}]}";
        given().contentType(ContentType.JSON).body(ok).post("/v2/models/" + MODEL + "/infer").then().statusCode(200);
        given().contentType(ContentType.JSON).body(ok.replace("depth", "a-task-nobody-serves"))
                .post("/v2/models/" + MODEL + "/infer").then().statusCode(400);
        String scrape = Management.given().accept("text/plain").get("/q/metrics").then().statusCode(200).extract().asString();
        Path out = Paths.get("target/metrics-scrape.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, scrape);
        String normalised = scrape.replace(",}", "}"); // the text format may end a label set with a comma
        for (String line : new String[] {
            "sinewich_request_duration_seconds_bucket{api=\"rest_oip\",outcome=\"success\",task=\"depth\",le=",
            "sinewich_request_duration_seconds_count{api=\"rest_oip\",outcome=\"invalid_input\",task=\"unknown\"}",
            "sinewich_failures_total{api=\"rest_oip\",reason=\"invalid_input\"}",
            "sinewich_queue_wait_seconds_bucket{le=",
            "sinewich_compute_seconds_bucket{le=",
            "sinewich_batch_rows_bucket{le=",
            "sinewich_pending_requests ",
            "sinewich_scheduler_rejected_total ",
            "sinewich_scheduler_expired_total ",
            "sinewich_scheduler_passes_total ",
            "sinewich_scheduler_skipped_total ",
            "sinewich_kernel_cache_hits_total ",
            "sinewich_kernel_cache_misses_total ",
            "sinewich_kernel_cache_evictions_total ",
            "sinewich_kernel_materialisation_seconds_total ",
            "sinewich_kernel_cache_bytes ",
            "sinewich_model_resident_bytes{part=\"backbone\"}",
            "sinewich_model_resident_bytes{part=\"fused_kernels\"}",
            "sinewich_model_info{device=\"cpu\",engine=\"onnxruntime\",kernel_policy=",
            "sinewich_ndarrays_live ",
            "sinewich_native_managers_live ",
        }) {
            assertTrue(normalised.contains(line), () -> "missing in the scrape: " + line);
        }
        assertTrue(!Pattern.compile("task=\"a-task-nobody-serves\"").matcher(scrape).find(),
                "an unknown task must not become a label");
    }

    @Test
    void everyKnownFailureSeriesExistsAndMultiTaskRequestsCountUnderEachTask() {
        String scrape = scrape();
        for (String api : ServerMetrics.APIS) {
            for (String reason : ServerMetrics.FAILURE_REASONS) {
                String series = "sinewich_failures_total{api=\"" + api + "\",reason=\"" + reason + "\"}";
                assertTrue(scrape.contains(series), () -> "missing before any such failure: " + series);
            }
        }
        String semseg = "sinewich_task_duration_seconds_count{api=\"rest_native\",task=\"semseg\"}";
        String depth = "sinewich_task_duration_seconds_count{api=\"rest_native\",task=\"depth\"}";
        String normals = "sinewich_task_duration_seconds_count{api=\"rest_native\",task=\"normals\"}";
        String multi = "sinewich_request_duration_seconds_count{api=\"rest_native\",outcome=\"success\",task=\"multi\"}";
        double semsegBefore = value(scrape, semseg);
        double depthBefore = value(scrape, depth);
        double normalsBefore = value(scrape, normals);
        double multiBefore = value(scrape, multi);
        given().contentType("image/png").body(dev.sinewich.serve.imaging.PatternImages.png(8, 8))
                .post("/v1/models/" + MODEL + "/predict?task=semseg&task=depth").then().statusCode(200);
        String after = scrape();
        assertEquals(semsegBefore + 1, value(after, semseg), "semseg ran once more");
        assertEquals(depthBefore + 1, value(after, depth), "depth ran once more");
        assertEquals(normalsBefore, value(after, normals), "normals did not run");
        assertEquals(multiBefore + 1, value(after, multi), "one more multi-task request");
    }

    private static String scrape() {
        return Management.given().accept("text/plain").get("/q/metrics").then().statusCode(200).extract().asString()
                .replace(",}", "}");
    }

    /** A series' value, 0 when it does not exist yet. */
    private static double value(String scrape, String series) {
        return scrape.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(
                l.substring(series.length() + 1).trim())).findFirst().orElse(0);
    }

    @Test
    void liveNdArraysReturnToTheirIdleValueAfterRequests() {
        String[] tasks = {"semseg", "depth", "normals", "saliency", "edges"};
        for (String task : tasks) { // first use may materialise a task's weights: that is resident, not a leak
            infer(task, 200);
        }
        double idleArrays = gauge("sinewich_ndarrays_live");
        double idleManagers = gauge("sinewich_native_managers_live");
        assertTrue(idleArrays > 0, "the model's resident arrays are counted: " + idleArrays);
        assertTrue(idleManagers > 0, "the model's resident manager is counted: " + idleManagers);
        for (int i = 0; i < 15; i++) {
            infer(tasks[i % tasks.length], 200);
        }
        infer("a-task-nobody-serves", 400);
        assertEquals(idleArrays, gauge("sinewich_ndarrays_live"), "NDArrays left behind by requests");
        assertEquals(idleManagers, gauge("sinewich_native_managers_live"), "NDManagers left open by requests");
    }

    private static void infer(String task, int status) {
        String body = "{\"parameters\":{\"task\":\"" + task + "\"},\"inputs\":[{\"name\":\"image\",\"datatype\":"
                + "\"UINT8\",\"shape\":[1,2,2,3],\"data\":[1,2,3,4,5,6,7,8,9,10,11,12]}]}";
        given().contentType(ContentType.JSON).body(body).post("/v2/models/" + MODEL + "/infer").then().statusCode(status);
    }

    private static double gauge(String name) {
        String scrape = Management.given().accept("text/plain").get("/q/metrics").then().statusCode(200).extract().asString();
        return scrape.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(
                name.length() + 1).trim())).findFirst().orElseThrow(() -> new AssertionError("no " + name));
    }

    @Test
    void openApiAndSwaggerUiAreServedAndAdminIsOffByDefault() {
        Management.given().get("/q/openapi").then().statusCode(200).body(org.hamcrest.Matchers.containsString("/v2/models/{name}/infer"));
        Management.given().get("/q/swagger-ui/").then().statusCode(200);
        given().put("/admin/model").then().statusCode(404).body("error", org.hamcrest.Matchers.containsString("disabled"));
        given().post("/v2/repository/index").then().statusCode(404)
                .body("error", equalTo("the model repository API is disabled (sinewich.security.admin-enabled)"));
        given().post("/v2/repository/models/x/load").then().statusCode(404);
    }

    @Test
    void healthEndpointsAreUp() {
        Management.given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        Management.given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.find { it.name == 'model-ready' }.data.model", equalTo(MODEL));
        Management.given().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"));
    }
}
