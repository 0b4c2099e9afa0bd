package dev.sinewich.serve.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.imaging.ImageDecoder;
import dev.sinewich.serve.imaging.ImageLimits;
import dev.sinewich.serve.imaging.PngWriter;
import dev.sinewich.serve.model.ForwardItem;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.OutputTensor;
import dev.sinewich.serve.model.SinewichModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluator end to end with a real bundle (the conformance bundle s4_mixed_downscale: tasks
 * semseg with classes c0–c4, depth in millimetres, normals, saliency, edges). Its ground truths are
 * the model's own predictions, so every metric must be perfect; that checks pixel order, batching
 * across image sizes, class matching by name (the data set lists the classes in reverse) and the
 * millimetre-to-metre conversion. The same ground truths under other images must score worse.
 */
class EvaluatorTest {

    static final Path BUNDLE = Path.of("src/test/resources/conformance/s4_mixed_downscale/bundle");
    static final List<String> TASKS = List.of("semseg", "depth", "normals", "saliency");
    static final List<String> REVERSED = List.of("c4", "c3", "c2", "c1", "c0");
    private static final int[][] SIZES = {{20, 28}, {20, 28}, {24, 36}, {20, 28}};

    private static SinewichModel model;

    @TempDir
    static Path temp;

    private static EvaluationReport good;
    private static EvaluationReport bad;

    @BeforeAll
    static void setUp() throws IOException {
        try (Bundle bundle = Bundle.open(BUNDLE)) {
            model = SinewichModel.load(bundle, Device.cpu());
        }
        // batches of 2 and 3 across the change of image size; the ground truths came one image at a time
        good = new Evaluator(model, 2).evaluate(Dataset.open(write(temp.resolve("perfect"), 1, 1)));
        bad = new Evaluator(model, 3).evaluate(Dataset.open(write(temp.resolve("other-images"), 1, 2)));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Ground truths from the model on images of seed {@code truthSeed}, under images of {@code imageSeed}. */
    static Path write(Path dir, long truthSeed, long imageSeed) throws IOException {
        DatasetWriter writer = new DatasetWriter(dir, "self-" + imageSeed, TASKS, REVERSED);
        for (int i = 0; i < SIZES.length; i++) {
            int h = SIZES[i][0];
            int w = SIZES[i][1];
            byte[] png = PngWriter.rgb8(h, w, randomBytes(3 * h * w, truthSeed * 100 + i));
            float[] rgb = ImageDecoder.decode(png, ImageLimits.defaults()).rgb();
            Map<String, List<OutputTensor>> out = model.predictBatch(List.of(new ForwardItem(
                    new ImageBatch(1, h, w, rgb), TASKS, Set.of()))).get(0);
            int[] labels = out.get("semseg").get(0).ints();
            int[] semseg = new int[labels.length];
            for (int p = 0; p < labels.length; p++) {
                semseg[p] = p % 7 == 3 ? 255 : 4 - labels[p];
            }
            float[] mm = out.get("depth").get(0).floats();
            float[] depth = new float[mm.length];
            for (int p = 0; p < mm.length; p++) {
                depth[p] = (float) (mm[p] * 0.001);
            }
            float[] sal = out.get("saliency").get(0).floats();
            byte[] saliency = new byte[sal.length];
            for (int p = 0; p < sal.length; p++) {
                saliency[p] = (byte) (sal[p] > 0.5f ? 255 : 0);
            }
            writer.item(String.format("%06d", i), h, w, randomBytes(3 * h * w, imageSeed * 100 + i), semseg, depth,
                    out.get("normals").get(0).floats(), saliency);
        }
        return writer.finish(20, 28);
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void ownPredictionsScorePerfectly() {
        EvaluationReport r = good;
        assertEquals("s4-mixed-downscale", r.modelName());
        assertEquals(4, r.items());
        assertEquals(Map.of("semseg", "semseg", "depth", "depth", "normals", "normals", "saliency", "saliency"),
                r.modelTasks());
        assertEquals(100, r.semseg().miou(), 1e-9);
        assertEquals(100, r.semseg().pixelAccuracy(), 1e-9);
        long labelled = r.semseg().pixels();
        assertTrue(labelled > 0 && labelled < 3 * 20 * 28 + 24 * 36, "ignored pixels are not counted");
        assertEquals(0, r.depth().errors().rmse(), 1e-9);
        assertEquals(0, r.depth().medianScaled().rmse(), 1e-6);
        assertTrue(r.normals().mean() < 0.1, "normals mean " + r.normals().mean());
        assertEquals(100, r.normals().within11(), 1e-9);
        assertEquals(100, r.saliency().maxIou(), 1e-9);
        assertEquals(100, r.saliency().maxF(), 1e-9);
        assertNull(r.deltaM());
    }

    @Test
    void otherImagesScoreWorse() {
        assertTrue(bad.semseg().miou() < good.semseg().miou());
        assertTrue(bad.depth().errors().rmse() > good.depth().errors().rmse());
        assertTrue(bad.normals().mean() > good.normals().mean());
        assertTrue(bad.saliency().maxIou() < good.saliency().maxIou());
    }

    @Test
    void deltaMIsZeroAgainstItselfAndPositiveAgainstAWorseBaseline() throws IOException {
        Path file = temp.resolve("bad.json");
        Files.writeString(file, ReportJson.write(bad, REVERSED));
        Map<String, Double> baseline = ReportJson.readPrimaryMetrics(Files.readAllBytes(file), "bad.json");
        assertEquals(bad.primaryMetrics(), baseline);
        assertEquals(0, bad.withBaseline(baseline, "bad.json").deltaM().value(), 0);
        DeltaM d = good.withBaseline(baseline, "bad.json").deltaM();
        assertEquals(Set.copyOf(TASKS), d.terms().keySet());
        d.terms().forEach((task, term) -> assertTrue(term > 0, task + " term " + term));
        assertTrue(d.value() > 0, "Δm " + d.value());
        // a perfect depth RMSE of 0 cannot be a baseline
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bad.withBaseline(Map.of("semseg", 50.0, "depth", 0.0), "perfect"));
        assertTrue(e.getMessage().contains("non-zero"), e.getMessage());
    }

    @Test
    void aModelWithoutTheDataSetsTasksIsRefused() throws IOException {
        DatasetWriter writer = new DatasetWriter(temp.resolve("labels"), "labels", List.of("semseg"),
                List.of("a", "b", "c"));
        writer.item("x", 4, 4, randomBytes(48, 9), new int[16], null, null, null);
        Dataset wrongClasses = Dataset.open(writer.finish(4, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Evaluator(model, 1).evaluate(wrongClasses));
        assertTrue(e.getMessage().contains("match neither by name nor by count"), e.getMessage());
    }
}
