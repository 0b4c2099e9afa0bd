package dev.sinewich.serve.model;

import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.bundle.BundleException;
import dev.sinewich.serve.bundle.TensorCatalog;
import dev.sinewich.serve.bundle.TensorSource;

/**
 * The Clock Net (SPEC §4.4), kept in plain Java so that tasks added at run time get their
 * frequencies too: ω = scale · (tanh(Σ_c weight[c] · max(0, token[c])) + shift) per stage, or a
 * task's explicit {@code tasks.{t}.omega}. Immutable and thread-safe.
 */
final class ClockNet {

    private final float[][] weight;
    private final float[] scale;
    private final float[] shift;

    private ClockNet(float[][] weight, float[] scale, float[] shift) {
        this.weight = weight;
        this.scale = scale;
        this.shift = shift;
    }

    /**
     * Reads the Clock Net of a bundle, if it has one.
     *
     * @param bundle the bundle
     * @return the Clock Net; without weights when every task has explicit ω
     */
    static ClockNet load(Bundle bundle) {
        int stages = bundle.config().stages();
        if (!bundle.hasClockNet()) {
            return new ClockNet(null, null, null);
        }
        float[][] weight = new float[stages][];
        float[] scale = new float[stages];
        float[] shift = new float[stages];
        for (int s = 0; s < stages; s++) {
            weight[s] = bundle.floats("clock." + s + ".weight");
            scale[s] = bundle.floats("clock." + s + ".scale")[0];
            shift[s] = bundle.floats("clock." + s + ".shift")[0];
        }
        return new ClockNet(weight, scale, shift);
    }

    /**
     * Tells whether Clock Net weights are present.
     *
     * @return true when tasks can be given by tokens
     */
    boolean present() {
        return weight != null;
    }

    /**
     * Computes a task's frequencies.
     *
     * @param source the bundle or task file holding the task's tensors
     * @param task the task name
     * @return ω per stage
     */
    float[] frequencies(TensorSource source, String task) {
        if (source.hasExplicitOmega(task)) {
            return source.floats(TensorCatalog.omegaName(task));
        }
        if (weight == null) {
            throw new BundleException("task '" + task + "' has tokens but the model has no Clock Net");
        }
        float[] omega = new float[weight.length];
        for (int s = 0; s < omega.length; s++) {
            omega[s] = frequency(weight[s], scale[s], shift[s], source.floats("tasks." + task + ".token." + s));
        }
        return omega;
    }

    /**
     * The Clock Net of one stage.
     *
     * @param weight the (1, C) projection, flattened
     * @param scale the output scale
     * @param shift the output shift
     * @param token the task token
     * @return the frequency
     */
    static float frequency(float[] weight, float scale, float shift, float[] token) {
        double dot = 0;
        for (int c = 0; c < token.length; c++) {
            dot += (double) weight[c] * Math.max(0f, token[c]);
        }
        return scale * ((float) Math.tanh((float) dot) + shift);
    }
}
