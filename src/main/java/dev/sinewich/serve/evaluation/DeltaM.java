package dev.sinewich.serve.evaluation;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The multi-task score Δm against a baseline (Maninis et al. 2019; Vandenhende et al.):
 * Δm = (1/T) Σ_t s_t (M_t − M_t^b) / M_t^b × 100 over the T tasks both have, with M_t the task's
 * primary metric and s_t = +1 where higher is better, −1 where lower is
 * ({@link DatasetTask#sign()}). Positive means better than the baseline. Immutable.
 *
 * @param value Δm in percent
 * @param terms per task s_t (M_t − M_t^b) / M_t^b × 100
 * @param baselineValues per task the baseline's primary metric M_t^b
 * @param baseline where the baseline came from (a file name), for the report
 */
public record DeltaM(double value, Map<String, Double> terms, Map<String, Double> baselineValues, String baseline) {

    /** Copies the maps. */
    public DeltaM {
        terms = Collections.unmodifiableMap(new LinkedHashMap<>(terms));
        baselineValues = Collections.unmodifiableMap(new LinkedHashMap<>(baselineValues));
    }

    /**
     * Computes Δm over the tasks both sides have.
     *
     * @param current primary metric by task name (data set task names)
     * @param baselineValues the baseline's primary metric by task name
     * @param baseline where the baseline came from
     * @return Δm
     * @throws IllegalArgumentException if no task is shared, or a shared baseline value is zero or
     *     not finite
     */
    public static DeltaM compute(Map<String, Double> current, Map<String, Double> baselineValues, String baseline) {
        Map<String, Double> terms = new LinkedHashMap<>();
        Map<String, Double> used = new LinkedHashMap<>();
        double sum = 0;
        for (DatasetTask task : DatasetTask.values()) {
            Double m = current.get(task.jsonName());
            Double b = baselineValues.get(task.jsonName());
            if (m == null || b == null) {
                continue;
            }
            if (b == 0 || !Double.isFinite(b)) {
                throw new IllegalArgumentException("the baseline's " + task.jsonName() + " " + task.primaryMetric()
                        + " is " + b + "; Δm needs a finite, non-zero baseline value");
            }
            double term = task.sign() * (m - b) / b * 100;
            terms.put(task.jsonName(), term);
            used.put(task.jsonName(), b);
            sum += term;
        }
        if (terms.isEmpty()) {
            throw new IllegalArgumentException("the baseline shares no task with this evaluation (it has "
                    + baselineValues.keySet() + ", this has " + current.keySet() + ")");
        }
        return new DeltaM(sum / terms.size(), terms, used, baseline);
    }
}
