package dev.sinewich.serve.model.onnx;

import ai.djl.ndarray.NDArray;
import dev.sinewich.serve.model.swin.BlockLinear;
import java.util.Map;

/**
 * Writes a block linear into an ONNX graph: a constant one with its weights, an adapted one with
 * its task weight as a graph input. Stateless and thread-safe.
 */
final class LinearEmitter {

    private LinearEmitter() {}

    /**
     * Writes the linear into an ONNX graph: the base weight as a constant, or, for an adapted
     * linear, the task weight W_t (out, in) as the graph input that {@code taskWeights} names.
     *
     * @param linear the linear
     * @param ops the graph
     * @param x (…, in)
     * @param hint a readable name part
     * @param taskWeights the graph input of each adapted linear's W_t
     * @return (…, out)
     */
    static String emit(BlockLinear linear, GraphOps ops, String x, String hint, Map<BlockLinear, String> taskWeights) {
        float[] b = biasValues(linear);
        if (linear.adapted()) {
            String bv = b == null ? null : ops.graph().constant(hint + ".b", b, b.length);
            return ops.linearOutIn(x, taskWeights.get(linear), bv);
        }
        long[] shape = linear.shape();
        return ops.linear(x, hint, linear.baseWeight().toFloatArray(), (int) shape[0], (int) shape[1], b);
    }

    /**
     * Writes a constant (not adapted) linear into an ONNX graph with its first rows scaled, so that
     * a following multiplication of those outputs by the same factor is folded into the weights.
     *
     * @param linear the linear
     * @param ops the graph
     * @param x (…, in)
     * @param hint a readable name part
     * @param rows how many leading output rows to scale
     * @param factor the factor
     * @return (…, out)
     */
    static String emitScaled(BlockLinear linear, GraphOps ops, String x, String hint, int rows, float factor) {
        long[] shape = linear.shape();
        float[] w = linear.baseWeight().toFloatArray();
        int in = (int) shape[1];
        for (int i = 0; i < rows * in; i++) {
            w[i] *= factor;
        }
        float[] b = biasValues(linear);
        if (b != null) {
            for (int i = 0; i < rows; i++) {
                b[i] *= factor;
            }
        }
        return ops.linear(x, hint, w, (int) shape[0], in, b);
    }

    private static float[] biasValues(BlockLinear linear) {
        NDArray bias = linear.bias();
        return bias == null ? null : bias.toFloatArray();
    }
}
