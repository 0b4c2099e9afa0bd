package dev.sinewich.serve.model.onnx;

import static dev.sinewich.serve.model.onnx.OnnxGraph.attr;
import static dev.sinewich.serve.model.onnx.OnnxGraph.ints;

/**
 * The output stage of SPEC §4.8 as one small ONNX graph per output: logits (N, h0, w0, K) resized
 * bilinearly straight to the received size by two products with interpolation matrices bound per
 * call (exact for enlarging and shrinking alike, with no antialiasing), channels last all the way
 * so that per-pixel rules run over the innermost axis, then the output's rule. Stateless and
 * thread-safe.
 */
final class OutputGraphs {

    /** Input: (N, h0, w0, K) logits. */
    static final String LOGITS = "logits";
    /** Input: (h, h0) row interpolation matrix. */
    static final String ROWS = "rows";
    /** Input: (w, w0) column interpolation matrix. */
    static final String COLUMNS = "columns";
    /** Input: the int64 shape {N, h, w, K} of the resized logits. */
    static final String SHAPE = "shape";
    /** Input: the int64 shape {-1, w0, K}: the logits as rows of the small map. */
    static final String LOW_SPLIT = "low_split";
    /** Input: the int64 shape {N, h0, w·K}: the column-resized logits, one row per small-map row. */
    static final String WIDE = "wide";
    /** Input: the int64 shape {-1, w, K}: the resized logits as rows of the image. */
    static final String SPLIT = "split";
    /** The one output of every output graph. */
    static final String OUTPUT = "output";

    private static final long INT32 = 6;
    private static final float NORMAL_EPS = 1e-12f;

    private OutputGraphs() {}

    /**
     * Writes one output's graph. Its output is laid out (N·h, w) for {@code labels}, (N·h, w, 1)
     * for one-channel outputs, and (N, K, h, w) for {@code probabilities} and {@code normals}.
     *
     * @param output the output name: labels, probabilities, depth, normals, saliency or edges
     * @return a serialised {@code ModelProto}
     * @throws IllegalArgumentException for another name
     */
    static byte[] of(String output) {
        OnnxGraph g = new OnnxGraph("sinewich-output-" + output);
        GraphOps ops = new GraphOps(g);
        String logits = g.input(LOGITS, -1, -1, -1, -1);
        String rows = g.input(ROWS, -1, -1);
        String columns = g.input(COLUMNS, -1, -1);
        String shape = g.inputInt64(SHAPE, 4);
        // columns first, on the small map: (N·h0, w0, K) → (N·h0, w, K); then rows as one wide
        // product: (N, h0, w·K) → (N, h, w·K), seen as (N·h, w, K)
        String narrow = g.op("Reshape", new String[] {logits, g.inputInt64(LOW_SPLIT, 3)});
        String alongX = ops.binary("MatMul", columns, narrow);
        String wide = g.op("Reshape", new String[] {alongX, g.inputInt64(WIDE, 3)});
        String alongY = ops.binary("MatMul", rows, wide);
        String o = g.op("Reshape", new String[] {alongY, g.inputInt64(SPLIT, 3)});
        switch (output) {
            case "labels" -> {
                String argmax = g.op("ArgMax", new String[] {o}, attr("axis", -1L), attr("keepdims", 0L));
                g.identity(g.op("Cast", new String[] {argmax}, attr("to", INT32)), OUTPUT);
                g.outputInt32(OUTPUT);
                return g.toModel();
            }
            case "probabilities" -> o = channelsFirst(ops, g.op("Softmax", new String[] {o}, attr("axis", -1L)), shape);
            case "normals" -> {
                String norm = g.op("ReduceL2", new String[] {o}, ints("axes", -1), attr("keepdims", 1L));
                o = channelsFirst(ops, ops.binary("Div", o, ops.binary("Max", norm, g.scalar(NORMAL_EPS))), shape);
            }
            case "depth" -> o = ops.unary("Relu", o);
            case "saliency", "edges" -> o = ops.unary("Sigmoid", o);
            default -> throw new IllegalArgumentException("no output stage for '" + output + "'");
        }
        g.identity(o, OUTPUT);
        g.output(OUTPUT);
        return g.toModel();
    }

    /** (N·h, w, K) → (N, h, w, K) → (N, K, h, w). */
    private static String channelsFirst(GraphOps ops, String x, String shape) {
        return ops.transpose(ops.graph().op("Reshape", new String[] {x, shape}), 0, 3, 1, 2);
    }
}
