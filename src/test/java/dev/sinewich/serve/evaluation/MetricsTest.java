package dev.sinewich.serve.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The metric accumulators and Δm on cases small enough to compute by hand. */
class MetricsTest {

    private static final double EPS = 1e-9;

    @Test
    void segmentationFromATwoClassConfusionMatrix() {
        SegmentationAccumulator acc = new SegmentationAccumulator(3, 255);
        // class 0: TP 1, FN 1; class 1: TP 2, FP 1; class 2 neither labelled nor predicted; 255 ignored
        acc.add(new int[] {0, 0, 1, 1, 255}, new int[] {0, 1, 1, 1, 2});
        SegmentationMetrics m = acc.result();
        assertEquals(100 * 0.5, m.perClassIou().get(0), EPS);
        assertEquals(100 * 2.0 / 3, m.perClassIou().get(1), EPS);
        assertNull(m.perClassIou().get(2));
        assertEquals(100 * (0.5 + 2.0 / 3) / 2, m.miou(), EPS);
        assertEquals(75, m.pixelAccuracy(), EPS);
        assertEquals(4, m.pixels());
    }

    @Test
    void segmentationAccumulatesOverTheSetAndCountsUnknownPredictionsAsMisses() {
        SegmentationAccumulator acc = new SegmentationAccumulator(2, 255);
        acc.add(new int[] {0, 0}, new int[] {0, 0});
        acc.add(new int[] {1, 1}, new int[] {1, -1});
        // class 0: 2/2; class 1: TP 1, FN 1 (a prediction that is no data set class), no FP
        SegmentationMetrics m = acc.result();
        assertEquals(100, m.perClassIou().get(0), EPS);
        assertEquals(50, m.perClassIou().get(1), EPS);
        assertEquals(75, m.miou(), EPS);
        assertThrows(IllegalArgumentException.class, () -> acc.add(new int[] {2}, new int[] {0}));
    }

    @Test
    void depthOverValidPixels() {
        DepthAccumulator acc = new DepthAccumulator();
        acc.add(new float[] {1, 2, 0, Float.NaN}, new float[] {2, 2, 5, 5});
        DepthMetrics m = acc.result();
        assertEquals(2, m.validPixels());
        assertEquals(Math.sqrt(0.5), m.errors().rmse(), EPS);
        assertEquals(0.5, m.errors().absRel(), EPS);
        assertEquals(Math.sqrt(Math.log(2) * Math.log(2) / 2), m.errors().logRmse(), EPS);
        // scale = median(1, 2) / median(2, 2) = 0.75: predictions 1.5, 1.5
        assertEquals(0.5, m.medianScaled().rmse(), EPS);
        assertEquals((0.5 + 0.25) / 2, m.medianScaled().absRel(), EPS);
    }

    @Test
    void depthRmseIsOverPixelsNotAMeanOfImages() {
        DepthAccumulator acc = new DepthAccumulator();
        acc.add(new float[] {1}, new float[] {4});
        acc.add(new float[] {1, 1, 1}, new float[] {2, 2, 2});
        acc.add(new float[] {0, 0}, new float[] {1, 1});
        DepthMetrics m = acc.result();
        assertEquals(Math.sqrt((9 + 3) / 4.0), m.errors().rmse(), EPS);
        assertEquals(2, m.images(), "an image without valid pixels is not counted");
    }

    @Test
    void depthLogFloorsZeroPredictions() {
        DepthAccumulator acc = new DepthAccumulator();
        acc.add(new float[] {1}, new float[] {0});
        assertEquals(Math.abs(Math.log(DepthAccumulator.LOG_EPSILON)), acc.result().errors().logRmse(), EPS);
    }

    @Test
    void normalsAtKnownAngles() {
        double[] degrees = {0, 10, 20, 45, 180};
        int n = degrees.length + 2;
        float[] truth = new float[3 * n];
        float[] predicted = new float[3 * n];
        for (int i = 0; i < degrees.length; i++) {
            double r = Math.toRadians(degrees[i]);
            truth[2 * n + i] = 1;
            predicted[i] = (float) (2 * Math.sin(r)); // length 2: the angle is all that counts
            predicted[2 * n + i] = (float) (2 * Math.cos(r));
        }
        truth[2 * n + degrees.length] = 1; // zero prediction: 90 degrees
        // the last pixel's ground truth is all-zero: not counted
        predicted[n - 1] = 1;
        NormalsAccumulator acc = new NormalsAccumulator();
        acc.add(truth, predicted);
        NormalsMetrics m = acc.result();
        assertEquals(6, m.validPixels());
        assertEquals((0 + 10 + 20 + 45 + 90 + 180) / 6.0, m.mean(), 1e-4);
        assertEquals((20 + 45) / 2.0, m.median(), 1e-4);
        assertEquals(100 * 2 / 6.0, m.within11(), EPS);
        assertEquals(100 * 3 / 6.0, m.within22(), EPS);
        assertEquals(100 * 3 / 6.0, m.within30(), EPS);
    }

    @Test
    void saliencyMaxFAndMaxIouOverThresholds() {
        SaliencyAccumulator acc = new SaliencyAccumulator();
        // t <= 0.20: all positive (P 3/4, R 1, IoU 3/4); 0.25..0.45: P = R = 2/3; 0.50..0.60: P 1, R 2/3
        acc.add(new float[] {1, 1, 1, 0}, new float[] {0.9f, 0.62f, 0.22f, 0.5f});
        SaliencyMetrics m = acc.result();
        double f03 = 1.3 * (2.0 / 3) / (0.3 + 2.0 / 3);
        assertEquals(100 * f03, m.maxF(), EPS);
        assertEquals(0.5, m.maxFThreshold(), EPS);
        assertEquals(100 * 2 * 0.75 / 1.75, m.maxF1(), EPS, "β² = 1 prefers the high-recall threshold");
        assertEquals(75, m.maxIou(), EPS);
        assertEquals(0.2, m.maxIouThreshold(), EPS);
    }

    @Test
    void saliencyIouIsAMeanOfImagesAndAnEmptyImageCountsAsOne() {
        SaliencyAccumulator acc = new SaliencyAccumulator();
        acc.add(new float[] {1, 0}, new float[] {0.3f, 0.1f});
        acc.add(new float[] {0, 0}, new float[] {0.1f, 0.1f});
        SaliencyMetrics m = acc.result();
        assertEquals(100, m.maxIou(), EPS);
        assertEquals(0.2, m.maxIouThreshold(), EPS);
        assertEquals(2, m.images());
        assertArrayEquals(new double[] {0.2, 0.25, 0.9}, new double[] {SaliencyAccumulator.threshold(0),
            SaliencyAccumulator.threshold(1), SaliencyAccumulator.threshold(14)}, 0);
    }

    @Test
    void deltaMSignsAndAverage() {
        Map<String, Double> current = Map.of("semseg", 50.0, "depth", 1.0, "saliency", 60.0);
        DeltaM d = DeltaM.compute(current, Map.of("semseg", 40.0, "depth", 2.0, "normals", 20.0), "base.json");
        assertEquals(25, d.terms().get("semseg"), EPS);
        assertEquals(50, d.terms().get("depth"), EPS, "a lower RMSE than the baseline counts as better");
        assertEquals(37.5, d.value(), EPS);
        assertEquals(Map.of("semseg", 40.0, "depth", 2.0), d.baselineValues());
        assertEquals(0, DeltaM.compute(current, current, "self").value(), 0);
        assertEquals(-50, DeltaM.compute(Map.of("normals", 30.0), Map.of("normals", 20.0), "b").value(), EPS);
        assertThrows(IllegalArgumentException.class, () -> DeltaM.compute(current, Map.of("normals", 1.0), "b"));
        assertThrows(IllegalArgumentException.class, () -> DeltaM.compute(current, Map.of("semseg", 0.0), "b"));
    }
}
