package dev.sinewich.serve.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON form of an {@link EvaluationReport} ({@code sinewich-evaluation/v1}, described in
 * {@code docs/EVALUATION.md}), and reading a report's primary metrics back as a Δm baseline.
 * Non-finite numbers are written as {@code null}. Stateless and thread-safe.
 */
public final class ReportJson {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportJson() {}

    /**
     * Writes a report.
     *
     * @param report the report
     * @param labels the data set's class names, for the per-class IoU
     * @return the JSON text
     */
    public static String write(EvaluationReport report, List<String> labels) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", EvaluationReport.FORMAT);
        root.putObject("model").put("name", report.modelName()).put("version", report.modelVersion());
        root.putObject("dataset").put("name", report.datasetName()).put("path", report.datasetPath())
                .put("items", report.items());
        ObjectNode tasks = root.putObject("tasks");
        if (report.semseg() != null) {
            SegmentationMetrics m = report.semseg();
            ObjectNode t = task(tasks, report, DatasetTask.SEMSEG);
            num(t, "miou", m.miou());
            num(t, "pixel_accuracy", m.pixelAccuracy());
            t.put("pixels", m.pixels());
            ObjectNode perClass = t.putObject("per_class_iou");
            for (int c = 0; c < m.perClassIou().size(); c++) {
                Double v = m.perClassIou().get(c);
                String name = c < labels.size() ? labels.get(c) : Integer.toString(c);
                if (v == null) {
                    perClass.putNull(name);
                } else {
                    num(perClass, name, v);
                }
            }
        }
        if (report.depth() != null) {
            DepthMetrics m = report.depth();
            ObjectNode t = task(tasks, report, DatasetTask.DEPTH);
            errors(t, m.errors());
            errors(t.putObject("median_scaled"), m.medianScaled());
            t.put("valid_pixels", m.validPixels());
            t.put("images", m.images());
        }
        if (report.normals() != null) {
            NormalsMetrics m = report.normals();
            ObjectNode t = task(tasks, report, DatasetTask.NORMALS);
            num(t, "mean", m.mean());
            num(t, "median", m.median());
            num(t, "within_11_25", m.within11());
            num(t, "within_22_5", m.within22());
            num(t, "within_30", m.within30());
            t.put("valid_pixels", m.validPixels());
        }
        if (report.saliency() != null) {
            SaliencyMetrics m = report.saliency();
            ObjectNode t = task(tasks, report, DatasetTask.SALIENCY);
            num(t, "max_f", m.maxF());
            num(t, "max_f_threshold", m.maxFThreshold());
            num(t, "max_f1", m.maxF1());
            num(t, "max_iou", m.maxIou());
            num(t, "max_iou_threshold", m.maxIouThreshold());
            t.put("images", m.images());
        }
        ObjectNode primary = root.putObject("primary");
        report.primaryMetrics().forEach((task, value) -> {
            DatasetTask t = DatasetTask.fromJson(task);
            ObjectNode p = primary.putObject(task);
            p.put("metric", t.primaryMetric());
            num(p, "value", value);
            p.put("higher_is_better", t.sign() > 0);
        });
        if (report.deltaM() != null) {
            DeltaM d = report.deltaM();
            ObjectNode delta = root.putObject("delta_m");
            delta.put("baseline", d.baseline());
            num(delta, "value", d.value());
            ObjectNode baseValues = delta.putObject("baseline_values");
            d.baselineValues().forEach((k, v) -> num(baseValues, k, v));
            ObjectNode terms = delta.putObject("terms");
            d.terms().forEach((k, v) -> num(terms, k, v));
        }
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
    }

    /**
     * Reads the primary metric of every task a report has (for example a single-task baseline's
     * report), from {@code tasks.<task>.<primary metric>}.
     *
     * @param json the report's bytes
     * @param name the file name, for messages
     * @return primary metric by task name
     * @throws IllegalArgumentException when the file is not a report or a value is missing
     */
    public static Map<String, Double> readPrimaryMetrics(byte[] json, String name) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + ": not valid JSON: " + e.getMessage());
        }
        if (root == null || !EvaluationReport.FORMAT.equals(root.path("format").asText())) {
            throw new IllegalArgumentException(name + ": expected a report with format '" + EvaluationReport.FORMAT
                    + "'");
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (DatasetTask task : DatasetTask.values()) {
            JsonNode t = root.path("tasks").path(task.jsonName());
            if (t.isMissingNode()) {
                continue;
            }
            JsonNode v = t.path(task.primaryMetric());
            if (!v.isNumber()) {
                throw new IllegalArgumentException(name + ": tasks." + task.jsonName() + "." + task.primaryMetric()
                        + " must be a number, found " + v);
            }
            out.put(task.jsonName(), v.asDouble());
        }
        return out;
    }

    private static ObjectNode task(ObjectNode tasks, EvaluationReport report, DatasetTask task) {
        ObjectNode t = tasks.putObject(task.jsonName());
        t.put("model_task", report.modelTasks().get(task.jsonName()));
        return t;
    }

    private static void errors(ObjectNode node, DepthErrors e) {
        num(node, "rmse", e.rmse());
        num(node, "abs_rel", e.absRel());
        num(node, "log_rmse", e.logRmse());
    }

    private static void num(ObjectNode node, String key, double value) {
        if (Double.isFinite(value)) {
            node.put(key, value);
        } else {
            node.putNull(key);
        }
    }
}
