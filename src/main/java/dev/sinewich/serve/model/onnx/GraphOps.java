package dev.sinewich.serve.model.onnx;

import static dev.sinewich.serve.model.onnx.OnnxGraph.attr;
import static dev.sinewich.serve.model.onnx.OnnxGraph.ints;

/**
 * The few layers a Swin network is made of, written as standard ONNX operators on an
 * {@link OnnxGraph}, in the forms ONNX Runtime's optimiser recognises and fuses (MatMul + Add,
 * LayerNormalization, the erf GELU pattern). Not thread-safe (it writes into one graph).
 */
final class GraphOps {

    private static final float LAYER_NORM_EPS = 1e-5f;

    private final OnnxGraph g;

    /**
     * Writes into a graph.
     *
     * @param graph the graph
     */
    GraphOps(OnnxGraph graph) {
        this.g = graph;
    }

    /**
     * Returns the graph written into.
     *
     * @return the graph
     */
    OnnxGraph graph() {
        return g;
    }

    /**
     * A linear layer y = x·W + b with W already laid out (in, out).
     *
     * @param x (…, in)
     * @param weightInOut a value of shape (in, out)
     * @param bias a value of shape (out), or {@code null}
     * @return (…, out)
     */
    String linear(String x, String weightInOut, String bias) {
        String y = g.op("MatMul", new String[] {x, weightInOut});
        return bias == null ? y : g.op("Add", new String[] {y, bias});
    }

    /**
     * A linear layer whose weight is given (out, in), as torch stores it; transposed once here.
     *
     * @param x (…, in)
     * @param hint a readable name part
     * @param weight (out, in) values
     * @param out rows
     * @param in columns
     * @param bias (out) values, or {@code null}
     * @return (…, out)
     */
    String linear(String x, String hint, float[] weight, int out, int in, float[] bias) {
        String w = g.constant(hint + ".w", transpose(weight, out, in), in, out);
        String b = bias == null ? null : g.constant(hint + ".b", bias, out);
        return linear(x, w, b);
    }

    /**
     * A linear layer whose (out, in) weight is a value (e.g. a graph input bound per call).
     *
     * @param x (…, in)
     * @param weightOutIn a value of shape (out, in)
     * @param bias a value of shape (out), or {@code null}
     * @return (…, out)
     */
    String linearOutIn(String x, String weightOutIn, String bias) {
        String wt = g.op("Transpose", new String[] {weightOutIn}, ints("perm", 1, 0));
        return linear(x, wt, bias);
    }

    /**
     * LayerNorm over the last axis, eps 1e-5.
     *
     * @param x the input
     * @param hint a readable name part
     * @param weight the scale
     * @param bias the shift
     * @return the normalised value
     */
    String layerNorm(String x, String hint, float[] weight, float[] bias) {
        String w = g.constant(hint + ".ln.w", weight, weight.length);
        String b = g.constant(hint + ".ln.b", bias, bias.length);
        return g.op("LayerNormalization", new String[] {x, w, b}, attr("axis", -1L),
                attr("epsilon", LAYER_NORM_EPS));
    }

    /**
     * Exact (erf) GELU, as 0.5 · x · (1 + erf(x / √2)).
     *
     * @param x the input
     * @return GELU(x)
     */
    String gelu(String x) {
        String scaled = g.op("Div", new String[] {x, g.scalar((float) Math.sqrt(2.0))});
        String erf = g.op("Erf", new String[] {scaled});
        String plusOne = g.op("Add", new String[] {erf, g.scalar(1f)});
        String times = g.op("Mul", new String[] {x, plusOne});
        return g.op("Mul", new String[] {times, g.scalar(0.5f)});
    }

    /**
     * Multi-head scaled dot-product attention in one fused ONNX Runtime operator
     * ({@code com.microsoft.MultiHeadAttention}): softmax(scale · q·kᵀ + bias)·v per head, the
     * heads' results side by side.
     *
     * @param q (B, S, heads·d) queries
     * @param k (B, S, heads·d) keys
     * @param v (B, S, heads·d) values
     * @param bias (B or 1, heads, S, S) added to the scores before the softmax
     * @param heads the number of heads
     * @param scale the factor of q·kᵀ
     * @return (B, S, heads·d)
     */
    String attention(String q, String k, String v, String bias, int heads, float scale) {
        return g.microsoftOp("MultiHeadAttention", new String[] {q, k, v, "", "", bias},
                attr("num_heads", (long) heads), attr("scale", scale));
    }

    /**
     * Reshapes to constant dimensions (-1 and 0 as ONNX reads them).
     *
     * @param x the input
     * @param dims the new shape
     * @return the reshaped value
     */
    String reshape(String x, long... dims) {
        return g.op("Reshape", new String[] {x, g.constant("shape", dims, dims.length)});
    }

    /**
     * Permutes axes.
     *
     * @param x the input
     * @param perm the permutation
     * @return the transposed value
     */
    String transpose(String x, long... perm) {
        return g.op("Transpose", new String[] {x}, ints("perm", perm));
    }

    /**
     * Gathers along an axis with constant int64 indices.
     *
     * @param x the input
     * @param index the indices
     * @param axis the axis
     * @return the gathered value
     */
    String gather(String x, long[] index, long axis) {
        String i = g.constant("index", index, index.length);
        return g.op("Gather", new String[] {x, i}, attr("axis", axis));
    }

    /**
     * Takes one slice along axis 0 and drops that axis.
     *
     * @param x the input
     * @param i the index
     * @return x[i]
     */
    String pick(String x, long i) {
        return g.op("Gather", new String[] {x, g.constant("pick", new long[] {i})}, attr("axis", 0L));
    }

    /**
     * A binary elementwise operator.
     *
     * @param op {@code Add}, {@code Mul}, …
     * @param a left
     * @param b right
     * @return the result
     */
    String binary(String op, String a, String b) {
        return g.op(op, new String[] {a, b});
    }

    /**
     * A unary operator.
     *
     * @param op {@code Relu}, {@code Softmax} (last axis), …
     * @param x the input
     * @return the result
     */
    String unary(String op, String x) {
        return g.op(op, new String[] {x});
    }

    /**
     * Bilinear resize of an NHWC value by constant per-axis scales, align_corners = false, no
     * antialiasing (torch's {@code interpolate(mode="bilinear")}).
     *
     * @param x (N, h, w, C)
     * @param scaleY the height factor
     * @param scaleX the width factor
     * @return (N, h·scaleY, w·scaleX, C)
     */
    String resizeNhwc(String x, float scaleY, float scaleX) {
        String scales = g.constant("scales", new float[] {1f, scaleY, scaleX, 1f}, 4);
        return g.op("Resize", new String[] {x, "", scales}, attr("mode", "linear"),
                attr("coordinate_transformation_mode", "half_pixel"));
    }

    /**
     * A strided 2-D convolution (NCHW) with constant weight and bias, no padding.
     *
     * @param x the input
     * @param hint a readable name part
     * @param weight (out, in, k, k) values
     * @param bias (out) values
     * @param dims the weight's dimensions
     * @param stride the stride
     * @return the output
     */
    String conv(String x, String hint, float[] weight, float[] bias, long[] dims, long stride) {
        String w = g.constant(hint + ".w", weight, dims);
        String b = g.constant(hint + ".b", bias, dims[0]);
        return g.op("Conv", new String[] {x, w, b}, ints("kernel_shape", dims[2], dims[3]),
                ints("strides", stride, stride));
    }

    /**
     * Transposes a row-major (rows, cols) matrix.
     *
     * @param m the matrix
     * @param rows rows
     * @param cols columns
     * @return the (cols, rows) matrix
     */
    static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }
}
