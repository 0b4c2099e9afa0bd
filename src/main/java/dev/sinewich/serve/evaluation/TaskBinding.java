package dev.sinewich.serve.evaluation;

import dev.sinewich.serve.bundle.SinewichConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which model task predicts a data set ground truth, and how its output maps onto the data set:
 * for segmentation, model class → data set class; for depth, metres per model unit. Immutable.
 *
 * @param task the data set task
 * @param modelTask the model task that predicts it
 * @param classMap for segmentation, the data set class of each model class (−1: none); else empty
 * @param metresPerUnit for depth, metres per model depth unit; else 1
 */
public record TaskBinding(DatasetTask task, SinewichConfig.Task modelTask, int[] classMap, double metresPerUnit) {

    /**
     * Binds every data set task the model can predict: the model task of the same name when it has
     * the right kind, else the model's first task of that kind. Segmentation classes are matched by
     * name when one label list contains the other, else by index when both have the same length.
     *
     * @param modelTasks the model's tasks
     * @param manifest the data set
     * @return the bindings, in data set task order; data set tasks the model cannot predict are left out
     * @throws IllegalArgumentException when class lists cannot be matched or a depth unit is unknown
     */
    public static List<TaskBinding> bind(List<SinewichConfig.Task> modelTasks, DatasetManifest manifest) {
        List<TaskBinding> out = new ArrayList<>();
        for (DatasetTask task : manifest.tasks()) {
            SinewichConfig.Task chosen = modelTasks.stream()
                    .filter(t -> t.kind() == task.kind() && t.name().equals(task.jsonName())).findFirst()
                    .orElse(modelTasks.stream().filter(t -> t.kind() == task.kind()).findFirst().orElse(null));
            if (chosen == null) {
                continue;
            }
            int[] classMap = task == DatasetTask.SEMSEG ? classMap(chosen, manifest.labels()) : new int[0];
            double metres = task == DatasetTask.DEPTH
                    ? DepthUnits.metresPer(chosen.unit() == null ? "m" : chosen.unit(), "model task " + chosen.name())
                    : 1.0;
            out.add(new TaskBinding(task, chosen, classMap, metres));
        }
        return out;
    }

    private static int[] classMap(SinewichConfig.Task modelTask, List<String> datasetLabels) {
        List<String> modelLabels = modelTask.labels();
        int[] map = new int[modelTask.outputs()];
        int byName = 0;
        for (int c = 0; c < map.length; c++) {
            map[c] = c < modelLabels.size() ? datasetLabels.indexOf(modelLabels.get(c)) : -1;
            byName += map[c] >= 0 ? 1 : 0;
        }
        if (byName > 0 && byName == Math.min(map.length, datasetLabels.size())) {
            return map;
        }
        if (map.length == datasetLabels.size()) {
            Arrays.setAll(map, c -> c);
            return map;
        }
        throw new IllegalArgumentException("model task " + modelTask.name() + " has classes " + modelLabels
                + " and the data set " + datasetLabels + ": they match neither by name nor by count");
    }

    /**
     * Maps predicted model classes to data set classes.
     *
     * @param predicted model class indices
     * @return data set class indices, −1 where a model class has none
     */
    public int[] toDatasetClasses(int[] predicted) {
        int[] out = new int[predicted.length];
        for (int i = 0; i < predicted.length; i++) {
            int p = predicted[i];
            out[i] = p >= 0 && p < classMap.length ? classMap[p] : -1;
        }
        return out;
    }
}
