package dev.sinewich.serve.evaluation;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an evaluation found: which model on which data set, the metrics of each task the two share
 * (the others are {@code null}), and Δm when a baseline was given. Immutable.
 *
 * @param modelName the model's name
 * @param modelVersion the model's version
 * @param datasetName the data set's name
 * @param datasetPath the data set directory as given
 * @param items the number of items evaluated
 * @param modelTasks for each evaluated data set task, the model task that predicted it
 * @param semseg segmentation metrics, or {@code null}
 * @param depth depth metrics, or {@code null}
 * @param normals normals metrics, or {@code null}
 * @param saliency saliency metrics, or {@code null}
 * @param deltaM Δm against the baseline, or {@code null}
 */
public record EvaluationReport(String modelName, String modelVersion, String datasetName, String datasetPath,
        int items, Map<String, String> modelTasks, SegmentationMetrics semseg, DepthMetrics depth,
        NormalsMetrics normals, SaliencyMetrics saliency, DeltaM deltaM) {

    /** The {@code format} value of the JSON report. */
    public static final String FORMAT = "sinewich-evaluation/v1";

    /** Copies the map. */
    public EvaluationReport {
        modelTasks = Collections.unmodifiableMap(new LinkedHashMap<>(modelTasks));
    }

    /**
     * Returns each evaluated task's primary metric (the value that enters Δm).
     *
     * @return primary metric by data set task name, in task order
     */
    public Map<String, Double> primaryMetrics() {
        Map<String, Double> out = new LinkedHashMap<>();
        if (semseg != null) {
            out.put(DatasetTask.SEMSEG.jsonName(), semseg.miou());
        }
        if (depth != null) {
            out.put(DatasetTask.DEPTH.jsonName(), depth.errors().rmse());
        }
        if (normals != null) {
            out.put(DatasetTask.NORMALS.jsonName(), normals.mean());
        }
        if (saliency != null) {
            out.put(DatasetTask.SALIENCY.jsonName(), saliency.maxIou());
        }
        return out;
    }

    /**
     * Returns this report with Δm against a baseline's primary metrics.
     *
     * @param baselineValues the baseline's primary metric by task name
     * @param baseline where the baseline came from
     * @return the new report
     * @throws IllegalArgumentException if the baseline shares no task or has a zero value
     */
    public EvaluationReport withBaseline(Map<String, Double> baselineValues, String baseline) {
        return new EvaluationReport(modelName, modelVersion, datasetName, datasetPath, items, modelTasks, semseg,
                depth, normals, saliency, DeltaM.compute(primaryMetrics(), baselineValues, baseline));
    }
}
