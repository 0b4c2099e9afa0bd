package dev.sinewich.serve.evaluation;

import dev.sinewich.serve.bundle.TaskKind;

/**
 * The ground truths a data set can hold, each with the model task kind that predicts it and the
 * primary metric that enters Δm (with its sign: +1 when higher is better, −1 when lower is).
 */
public enum DatasetTask {
    /** Semantic segmentation; primary metric mIoU, higher is better. */
    SEMSEG("semseg", TaskKind.SEGMENTATION, "miou", 1),
    /** Metric depth; primary metric RMSE, lower is better. */
    DEPTH("depth", TaskKind.DEPTH, "rmse", -1),
    /** Surface normals; primary metric mean angular error, lower is better. */
    NORMALS("normals", TaskKind.NORMALS, "mean", -1),
    /** Saliency; primary metric max-IoU, higher is better. */
    SALIENCY("saliency", TaskKind.SALIENCY, "max_iou", 1);

    private final String jsonName;
    private final TaskKind kind;
    private final String primaryMetric;
    private final int sign;

    DatasetTask(String jsonName, TaskKind kind, String primaryMetric, int sign) {
        this.jsonName = jsonName;
        this.kind = kind;
        this.primaryMetric = primaryMetric;
        this.sign = sign;
    }

    /**
     * Returns the name used in {@code dataset.json}, the folder name and the report.
     *
     * @return the name
     */
    public String jsonName() {
        return jsonName;
    }

    /**
     * Returns the model task kind that predicts this ground truth.
     *
     * @return the kind
     */
    public TaskKind kind() {
        return kind;
    }

    /**
     * Returns the report key of the metric that enters Δm.
     *
     * @return the metric key
     */
    public String primaryMetric() {
        return primaryMetric;
    }

    /**
     * Returns +1 when a higher primary metric is better, −1 when a lower one is.
     *
     * @return the sign
     */
    public int sign() {
        return sign;
    }

    /**
     * Looks a task up by its JSON name.
     *
     * @param name the name
     * @return the task, or {@code null} when unknown
     */
    public static DatasetTask fromJson(String name) {
        for (DatasetTask t : values()) {
            if (t.jsonName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
