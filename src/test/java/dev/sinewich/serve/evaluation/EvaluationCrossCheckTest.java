package dev.sinewich.serve.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinewich.serve.arrays.Npy;
import dev.sinewich.serve.imaging.ImageDecoder;
import dev.sinewich.serve.imaging.ImageLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java metrics against an independent NumPy implementation: {@code tools/evaluation/metrics_ref.py}
 * wrote a small data set of random ground truths and predictions and the metrics it computes from
 * those files ({@code expected.json}); the same files through {@link Dataset} and the accumulators
 * must give the same numbers to 1e-6 relative. Regenerate with
 * {@code /usr/bin/python3 tools/evaluation/metrics_ref.py generate src/test/resources/evaluation/fixture}.
 */
class EvaluationCrossCheckTest {

    static final Path FIXTURE = Path.of("src/test/resources/evaluation/fixture");

    private static JsonNode expected;
    private static Dataset dataset;

    @BeforeAll
    static void read() throws IOException {
        expected = new ObjectMapper().readTree(FIXTURE.resolve("expected.json").toFile());
        dataset = Dataset.open(FIXTURE);
    }

    @Test
    void segmentationMatchesTheReference() throws IOException {
        SegmentationAccumulator acc = new SegmentationAccumulator(dataset.manifest().labels().size(),
                dataset.manifest().ignoreLabel());
        for (int i = 0; i < dataset.size(); i++) {
            DatasetItem item = dataset.read(i);
            float[] grey = ImageDecoder.decode(prediction("semseg", item.id(), "png"), ImageLimits.defaults()).rgb();
            int[] predicted = new int[item.semseg().length];
            for (int p = 0; p < predicted.length; p++) {
                int v = Math.round(grey[p] * 255);
                predicted[p] = v < dataset.manifest().labels().size() ? v : -1;
            }
            acc.add(item.semseg(), predicted);
        }
        SegmentationMetrics m = acc.result();
        JsonNode e = expected.get("semseg");
        close(e, "miou", m.miou());
        close(e, "pixel_accuracy", m.pixelAccuracy());
        assertEquals(e.get("pixels").asLong(), m.pixels());
        Iterator<Map.Entry<String, JsonNode>> perClass = e.get("per_class_iou").fields();
        for (int c = 0; perClass.hasNext(); c++) {
            Map.Entry<String, JsonNode> entry = perClass.next();
            if (entry.getValue().isNull()) {
                assertEquals(null, m.perClassIou().get(c), entry.getKey());
            } else {
                close(e.get("per_class_iou"), entry.getKey(), m.perClassIou().get(c));
            }
        }
    }

    @Test
    void depthMatchesTheReference() throws IOException {
        DepthAccumulator acc = new DepthAccumulator();
        for (int i = 0; i < dataset.size(); i++) {
            DatasetItem item = dataset.read(i);
            acc.add(item.depth(), Npy.readFloats(prediction("depth", item.id(), "npy")).values());
        }
        DepthMetrics m = acc.result();
        JsonNode e = expected.get("depth");
        close(e, "rmse", m.errors().rmse());
        close(e, "abs_rel", m.errors().absRel());
        close(e, "log_rmse", m.errors().logRmse());
        close(e.get("median_scaled"), "rmse", m.medianScaled().rmse());
        close(e.get("median_scaled"), "abs_rel", m.medianScaled().absRel());
        close(e.get("median_scaled"), "log_rmse", m.medianScaled().logRmse());
        assertEquals(e.get("valid_pixels").asLong(), m.validPixels());
        assertEquals(e.get("images").asInt(), m.images());
    }

    @Test
    void normalsMatchTheReference() throws IOException {
        NormalsAccumulator acc = new NormalsAccumulator();
        for (int i = 0; i < dataset.size(); i++) {
            DatasetItem item = dataset.read(i);
            acc.add(item.normals(), Npy.readFloats(prediction("normals", item.id(), "npy")).values());
        }
        NormalsMetrics m = acc.result();
        JsonNode e = expected.get("normals");
        close(e, "mean", m.mean());
        close(e, "median", m.median());
        close(e, "within_11_25", m.within11());
        close(e, "within_22_5", m.within22());
        close(e, "within_30", m.within30());
        assertEquals(e.get("valid_pixels").asLong(), m.validPixels());
    }

    @Test
    void saliencyMatchesTheReference() throws IOException {
        SaliencyAccumulator acc = new SaliencyAccumulator();
        for (int i = 0; i < dataset.size(); i++) {
            DatasetItem item = dataset.read(i);
            acc.add(item.saliency(), Npy.readFloats(prediction("saliency", item.id(), "npy")).values());
        }
        SaliencyMetrics m = acc.result();
        JsonNode e = expected.get("saliency");
        close(e, "max_f", m.maxF());
        close(e, "max_f_threshold", m.maxFThreshold());
        close(e, "max_f1", m.maxF1());
        close(e, "max_iou", m.maxIou());
        close(e, "max_iou_threshold", m.maxIouThreshold());
        assertEquals(e.get("images").asInt(), m.images());
    }

    private static byte[] prediction(String task, String id, String extension) throws IOException {
        return Files.readAllBytes(FIXTURE.resolve("predictions").resolve(task).resolve(id + "." + extension));
    }

    private static void close(JsonNode node, String key, double actual) {
        assertTrue(node.has(key), "expected.json has " + key);
        double want = node.get(key).asDouble();
        assertEquals(want, actual, 1e-6 * Math.max(Math.abs(want), 1e-12), key);
    }
}
