package dev.sinewich.serve.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user runs it: real bundles, data set files, report files and exit codes. */
class EvaluateCommandTest {

    @TempDir
    static Path temp;

    private static Path data;

    /** Random ground truths for every task, classes c0–c4 as the conformance bundle names them. */
    @BeforeAll
    static void writeData() throws IOException {
        DatasetWriter writer = new DatasetWriter(temp.resolve("data"), "random", EvaluatorTest.TASKS,
                List.of("c0", "c1", "c2", "c3", "c4"));
        Random r = new Random(7);
        for (int i = 0; i < 2; i++) {
            int h = 12;
            int w = 16;
            int[] semseg = new int[h * w];
            float[] depth = new float[h * w];
            float[] normals = new float[3 * h * w];
            byte[] saliency = new byte[h * w];
            for (int p = 0; p < h * w; p++) {
                semseg[p] = r.nextInt(5);
                depth[p] = 0.001f + r.nextFloat() * 0.01f;
                normals[2 * h * w + p] = 1;
                saliency[p] = (byte) (r.nextBoolean() ? 255 : 0);
            }
            writer.item("00000" + i, h, w, EvaluatorTest.randomBytes(3 * h * w, i), semseg, depth, normals, saliency);
        }
        data = writer.finish(12, 16);
    }

    @Test
    void writesAReportAndComputesDeltaMAgainstAWorseBaseline() throws IOException {
        Path out = temp.resolve("reports/report.json");
        Run first = run("--model", EvaluatorTest.BUNDLE.toString(), "--data", data.toString(), "--out", out.toString(),
                "--batch", "2");
        assertEquals(0, first.status, first.err);
        assertTrue(first.out.contains("| semseg | mIoU (%) |"), first.out);
        ObjectMapper json = new ObjectMapper();
        JsonNode report = json.readTree(out.toFile());
        assertEquals(EvaluationReport.FORMAT, report.get("format").asText());
        assertEquals("s4-mixed-downscale", report.at("/model/name").asText());
        assertEquals("random", report.at("/dataset/name").asText());
        assertEquals(2, report.at("/dataset/items").asInt());
        for (String pointer : List.of("/tasks/semseg/miou", "/tasks/semseg/pixel_accuracy", "/tasks/semseg/per_class_iou/c4",
                "/tasks/depth/rmse", "/tasks/depth/abs_rel", "/tasks/depth/log_rmse", "/tasks/depth/median_scaled/rmse",
                "/tasks/normals/mean", "/tasks/normals/median", "/tasks/normals/within_11_25",
                "/tasks/saliency/max_f", "/tasks/saliency/max_iou", "/primary/depth/value")) {
            assertTrue(report.at(pointer).isNumber(), pointer + " in " + report);
        }
        assertEquals("semseg", report.at("/tasks/semseg/model_task").asText());
        assertFalse(report.has("delta_m"));

        // a baseline half as good on every primary metric: +100 % for mIoU and max-IoU, +50 % for the errors
        ObjectNode worse = (ObjectNode) report.deepCopy();
        scale(worse, "semseg", "miou", 0.5);
        scale(worse, "saliency", "max_iou", 0.5);
        scale(worse, "depth", "rmse", 2);
        scale(worse, "normals", "mean", 2);
        Path baseline = temp.resolve("worse.json");
        json.writeValue(baseline.toFile(), worse);
        Path second = temp.resolve("compared.json");
        Run compared = run("--model", EvaluatorTest.BUNDLE.toString(), "--data", data.toString(), "--baseline",
                baseline.toString(), "--out", second.toString());
        assertEquals(0, compared.status, compared.err);
        JsonNode delta = json.readTree(second.toFile()).get("delta_m");
        assertEquals(75, delta.get("value").asDouble(), 1e-9);
        assertEquals(100, delta.at("/terms/semseg").asDouble(), 1e-9);
        assertEquals(50, delta.at("/terms/depth").asDouble(), 1e-9);
        assertEquals("worse.json", delta.get("baseline").asText());
        assertTrue(compared.out.contains("Δm = 75.0000 %"), compared.out);
    }

    @Test
    void theEmbeddedDefaultBundleEvaluatesTheTasksItShares() throws IOException {
        DatasetWriter writer = new DatasetWriter(temp.resolve("depth-only"), "depth-only", List.of("depth"), List.of());
        float[] depth = new float[64];
        java.util.Arrays.fill(depth, 2f);
        writer.item("a", 8, 8, EvaluatorTest.randomBytes(192, 3), null, depth, null, null);
        Run r = run("--model", "default", "--data", writer.finish(8, 8).toString());
        assertEquals(0, r.status, r.err);
        assertTrue(r.out.contains("sinewich-default") && r.out.contains("| depth | RMSE (m) |"), r.out);
        assertFalse(r.out.contains("semseg"), r.out);
    }

    @Test
    void badArgumentsAndDataFailWithAMessage() {
        Run usage = run("--model", "default");
        assertEquals(2, usage.status);
        assertTrue(usage.err.contains("--data are required") && usage.err.contains("usage:"), usage.err);
        assertEquals(2, run("--model", "default", "--data", data.toString(), "--batch", "0").status);
        Run missing = run("--model", "default", "--data", temp.resolve("nothing").toString());
        assertEquals(1, missing.status);
        assertTrue(missing.err.startsWith("error: ") && missing.err.contains("dataset.json"), missing.err);
        Run badBundle = run("--model", temp.resolve("no-bundle").toString(), "--data", data.toString());
        assertEquals(1, badBundle.status);
        assertFalse(badBundle.err.contains("\tat "), "no stack trace: " + badBundle.err);
    }

    private static void scale(ObjectNode report, String task, String metric, double factor) {
        ObjectNode t = (ObjectNode) report.get("tasks").get(task);
        t.put(metric, t.get(metric).asDouble() * factor);
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = EvaluateCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Run(int status, String out, String err) {}
}
