package dev.sinewich.serve.model;

import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TensorCatalog;

/**
 * Works out a task's per-stage frequencies once at load (SPEC §4.4): the explicit
 * {@code tasks.{t}.omega} when present, else the Clock Net
 * ω = scale · (tanh(Σ_c weight[c] · max(0, token[c])) + shift). Stateless and thread-safe.
 */
final class ClockNet {

    private ClockNet() {}

    /**
     * Computes a task's frequencies.
     *
     * @param bundle the bundle
     * @param task the task name
     * @return ω per stage
     */
    static float[] frequencies(Bundle bundle, String task) {
        SinewichConfig config = bundle.config();
        if (bundle.hasExplicitOmega(task)) {
            return bundle.floats(TensorCatalog.omegaName(task));
        }
        float[] omega = new float[config.stages()];
        for (int s = 0; s < omega.length; s++) {
            float[] weight = bundle.floats("clock." + s + ".weight");
            float scale = bundle.floats("clock." + s + ".scale")[0];
            float shift = bundle.floats("clock." + s + ".shift")[0];
            float[] token = bundle.floats("tasks." + task + ".token." + s);
            omega[s] = frequency(weight, scale, shift, token);
        }
        return omega;
    }

    /**
     * The Clock Net of one stage, accumulated in float as PyTorch does for float32 tensors.
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
