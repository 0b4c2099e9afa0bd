package dev.sinewich.serve.model.onnx;

import static dev.sinewich.serve.model.onnx.OnnxGraph.attr;
import static dev.sinewich.serve.model.onnx.OnnxGraph.ints;

/**
 * The output stage of SPEC §4.8 as one small ONNX graph per output: logits (N, h0, w0, K) resized
 * bilinearly straight to the received size (torch's source coordinates, no antialiasing, enlarging
 * or shrinking), channels last so that per-pixel rules run over the innermost axis, then the
 * output's rule. Stateless and thread-safe.
 */
final class OutputGraphs {

    /** Input: (N, h0, w0, K) logits. */
    static final String LOGITS = "logits";
    /** Input: the int64 size {N, h, w, K} to resize the logits to. */
    static final String SHAPE = "shape";
    /** The one output of every output graph. */
    static final String OUTPUT = "output";

    private static final long INT32 = 6;
    private static final float NORMAL_EPS = 1e-12f;

    private OutputGraphs() {}

    /**
     * Writes one output's graph. Its output is laid out (N, h, w) for {@code labels}, (N, h, w, 1)
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
        String shape = g.inputInt64(SHAPE, 4);
        String o = g.op("Resize", new String[] {logits, "", "", shape}, attr("mode", "linear"),
                attr("coordinate_transformation_mode", "half_pixel"));
        switch (output) {
            case "labels" -> {
                String argmax = g.op("ArgMax", new String[] {o}, attr("axis", -1L), attr("keepdims", 0L));
                g.identity(g.op("Cast", new String[] {argmax}, attr("to", INT32)), OUTPUT);
                g.outputInt32(OUTPUT);
                return g.toModel();
            }
            case "probabilities" -> o = ops.transpose(g.op("Softmax", new String[] {o}, attr("axis", -1L)), 0, 3, 1, 2);
            case "normals" -> {
                String norm = g.op("ReduceL2", new String[] {o}, ints("axes", -1), attr("keepdims", 1L));
                o = ops.transpose(ops.binary("Div", o, ops.binary("Max", norm, g.scalar(NORMAL_EPS))), 0, 3, 1, 2);
            }
            case "depth" -> o = ops.unary("Relu", o);
            case "saliency", "edges" -> o = ops.unary("Sigmoid", o);
            default -> throw new IllegalArgumentException("no output stage for '" + output + "'");
        }
        g.identity(o, OUTPUT);
        g.output(OUTPUT);
        return g.toModel();
    }
}
