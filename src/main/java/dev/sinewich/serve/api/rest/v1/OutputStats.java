package dev.sinewich.serve.api.rest.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sinewich.serve.bundle.TaskKind;
import dev.sinewich.serve.model.OutputTensor;

/**
 * One output tensor in a JSON answer: its type and shape, simple statistics of FP32 outputs over
 * their finite values, and the flat row-major data when asked. Immutable.
 *
 * @param datatype {@code FP32} or {@code INT32}
 * @param shape the dimensions, batch first
 * @param min the smallest finite value (FP32 only)
 * @param max the largest finite value (FP32 only)
 * @param mean the mean of the finite values (FP32 only)
 * @param channelMeans the mean of each channel (normals only: x, y, z)
 * @param fractionAboveHalf the share of values above 0.5 (saliency and edges only)
 * @param data the values, row-major, when asked with {@code include=data}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OutputStats(String datatype, long[] shape, Float min, Float max, Float mean,
        @JsonProperty("channel_means") float[] channelMeans,
        @JsonProperty("fraction_above_half") Double fractionAboveHalf, Object data) {

    /**
     * Summarises a tensor.
     *
     * @param t the tensor
     * @param kind the kind of the task that made it
     * @param includeData whether to carry the data
     * @return the summary
     */
    public static OutputStats of(OutputTensor t, TaskKind kind, boolean includeData) {
        Object data = includeData ? (t.floats() != null ? t.floats() : t.ints()) : null;
        if (t.floats() == null) {
            return new OutputStats(t.datatype(), t.shape(), null, null, null, null, null, data);
        }
        float[] v = t.floats();
        float min = Float.NaN;
        float max = Float.NaN;
        double sum = 0;
        long finite = 0;
        long aboveHalf = 0;
        for (float x : v) {
            if (Float.isFinite(x)) {
                min = finite == 0 ? x : Math.min(min, x);
                max = finite == 0 ? x : Math.max(max, x);
                sum += x;
                finite++;
                aboveHalf += x > 0.5f ? 1 : 0;
            }
        }
        boolean map = kind == TaskKind.SALIENCY || kind == TaskKind.EDGES;
        return new OutputStats(t.datatype(), t.shape(), finite == 0 ? null : min, finite == 0 ? null : max,
                finite == 0 ? null : (float) (sum / finite),
                kind == TaskKind.NORMALS ? channelMeans(t) : null,
                map ? (double) aboveHalf / v.length : null, data);
    }

    /** Means per channel of an (N, C, h, w) tensor, over every image and pixel. */
    private static float[] channelMeans(OutputTensor t) {
        long[] s = t.shape();
        int channels = (int) s[1];
        int plane = (int) (s[2] * s[3]);
        double[] sums = new double[channels];
        long[] counts = new long[channels];
        float[] v = t.floats();
        for (int i = 0; i < v.length; i++) {
            int c = (i / plane) % channels;
            if (Float.isFinite(v[i])) {
                sums[c] += v[i];
                counts[c]++;
            }
        }
        float[] means = new float[channels];
        for (int c = 0; c < channels; c++) {
            means[c] = counts[c] == 0 ? Float.NaN : (float) (sums[c] / counts[c]);
        }
        return means;
    }
}
