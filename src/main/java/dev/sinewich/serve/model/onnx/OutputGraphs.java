package dev.sinewich.serve.model.onnx;

import static dev.sinewich.serve.model.onnx.OnnxGraph.attr;
import static dev.sinewich.serve.model.onnx.OnnxGraph.ints;

import dev.sinewich.serve.bundle.TaskKind;

/**
 * The output stage of SPEC §4.8 as one small ONNX graph per task kind: logits (N, h0, w0, K)
 * resized bilinearly straight to the received size by two products with interpolation matrices
 * bound per call (exact for enlarging and shrinking alike, with no antialiasing), then the kind's
 * rule. Every output of the kind is in the graph; a run computes only those it asks for.
 * Stateless and thread-safe.
 */
final class OutputGraphs {

    /** Input: (N, h0, w0, K) logits. */
    static final String LOGITS = "logits";
    /** Input: (h, h0) row interpolation matrix. */
    static final String ROWS = "rows";
    /** Input: (w0, w) transposed column interpolation matrix. */
    static final String COLUMNS = "columns";

    private static final long INT32 = 6;
    private static final float NORMAL_EPS = 1e-12f;

    private OutputGraphs() {}

    /**
     * Writes a kind's output graph.
     *
     * @param kind the task kind
     * @return a serialised {@code ModelProto}; outputs named as {@link TaskKind#outputNames()}
     */
    static byte[] of(TaskKind kind) {
        OnnxGraph g = new OnnxGraph("sinewich-outputs-" + kind.name().toLowerCase(java.util.Locale.ROOT));
        GraphOps ops = new GraphOps(g);
        String logits = g.input(LOGITS, -1, -1, -1, -1);
        String rows = g.input(ROWS, -1, -1);
        String columns = g.input(COLUMNS, -1, -1);
        String nchw = ops.transpose(logits, 0, 3, 1, 2);
        String o = ops.binary("MatMul", ops.binary("MatMul", rows, nchw), columns);
        switch (kind) {
            case SEGMENTATION -> {
                String argmax = g.op("ArgMax", new String[] {o}, attr("axis", 1L), attr("keepdims", 0L));
                g.identity(g.op("Cast", new String[] {argmax}, attr("to", INT32)), "labels");
                g.outputInt32("labels");
                expose(g, g.op("Softmax", new String[] {o}, attr("axis", 1L)), "probabilities");
            }
            case DEPTH -> expose(g, ops.unary("Relu", o), "depth");
            case NORMALS -> {
                String norm = g.op("ReduceL2", new String[] {o}, ints("axes", 1), attr("keepdims", 1L));
                String safe = ops.binary("Max", norm, g.scalar(NORMAL_EPS));
                expose(g, ops.binary("Div", o, safe), "normals");
            }
            default -> expose(g, ops.unary("Sigmoid", o), kind.outputNames().get(0));
        }
        return g.toModel();
    }

    private static void expose(OnnxGraph g, String value, String name) {
        g.identity(value, name);
        g.output(name);
    }
}
