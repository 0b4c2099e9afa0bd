package dev.sinewich.serve.api.rest.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TaskKind;
import dev.sinewich.serve.imaging.SegmentationPalette;
import dev.sinewich.serve.model.OutputTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON answer of {@code predict}: the image size and, per task, its kind, latency, each
 * output's shape with simple statistics (and the flat data when asked), and for segmentation the
 * share of pixels of every class. Immutable.
 *
 * @param model the model name
 * @param version the model version
 * @param image the image size as received
 * @param batchRows rows (image × task) in the forward pass the request shared
 * @param tasks the results by task name, in the order requested
 */
public record PredictionJson(String model, String version, Size image, @JsonProperty("batch_rows") int batchRows,
        Map<String, TaskResult> tasks) {

    /**
     * An image size.
     *
     * @param height pixels
     * @param width pixels
     */
    public record Size(int height, int width) {}

    /**
     * One task's result.
     *
     * @param kind the task kind
     * @param unit the depth unit (depth only)
     * @param latency where the request's time went; the tasks of one request share one forward
     *     pass, so they report the same numbers
     * @param outputs each output tensor's summary by name
     * @param classes the share of pixels of each class (segmentation only), in label order
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TaskResult(String kind, String unit, Latency latency, Map<String, OutputStats> outputs,
            List<ClassShare> classes) {}

    /**
     * Time from acceptance to the start of the forward pass, and the pass itself.
     *
     * @param queueSeconds seconds waiting
     * @param computeSeconds seconds computing
     */
    public record Latency(@JsonProperty("queue_seconds") double queueSeconds,
            @JsonProperty("compute_seconds") double computeSeconds) {}

    /**
     * One segmentation class's share of the image.
     *
     * @param index the label
     * @param name the label's name
     * @param color its colour in PNG answers, {@code #rrggbb}
     * @param pixels the pixels labelled so
     * @param fraction pixels / all pixels
     */
    public record ClassShare(int index, String name, String color, long pixels, double fraction) {}

    /**
     * Builds the answer.
     *
     * @param p the finished prediction
     * @return the JSON answer
     */
    public static PredictionJson of(Prediction p) {
        Latency latency = new Latency(p.result().queueSeconds(), p.result().computeSeconds());
        Map<String, TaskResult> tasks = new LinkedHashMap<>();
        for (SinewichConfig.Task task : p.tasks()) {
            Map<String, OutputStats> outputs = new LinkedHashMap<>();
            for (OutputTensor t : p.outputs(task)) {
                outputs.put(t.name(), OutputStats.of(t, task.kind(), p.options().includeData()));
            }
            List<ClassShare> classes = task.kind() == TaskKind.SEGMENTATION ? classes(task, p.first(task)) : null;
            tasks.put(task.name(), new TaskResult(task.kind().jsonName(), task.unit(), latency, outputs, classes));
        }
        SinewichConfig c = p.config();
        return new PredictionJson(c.name(), c.version(), new Size(p.height(), p.width()), p.result().batchRows(),
                tasks);
    }

    private static List<ClassShare> classes(SinewichConfig.Task task, OutputTensor labels) {
        long[] counts = new long[task.outputs()];
        for (int label : labels.ints()) {
            counts[label]++;
        }
        List<ClassShare> shares = new ArrayList<>(counts.length);
        for (int i = 0; i < counts.length; i++) {
            shares.add(new ClassShare(i, task.labels().get(i), SegmentationPalette.hex(i), counts[i],
                    (double) counts[i] / labels.size()));
        }
        return shares;
    }
}
