package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.sinewich.serve.bundle.TaskKind;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns decoder logits into the outputs of SPEC §4.8: resize straight to the image as received,
 * then argmax / softmax, ReLU, unit normalisation or sigmoid by task kind. Stateless and
 * thread-safe.
 */
final class OutputMaker {

    private static final float NORMAL_EPS = 1e-12f;

    private OutputMaker() {}

    /**
     * Picks a task's outputs from a request's output names: the kind's outputs that are named, or
     * its default output when none is.
     *
     * @param kind the task kind
     * @param requested the output names of the request (any task's)
     * @return the outputs to make
     */
    static Set<String> resolve(TaskKind kind, Set<String> requested) {
        Set<String> mine = new LinkedHashSet<>();
        for (String name : kind.outputNames()) {
            if (requested.contains(name)) {
                mine.add(name);
            }
        }
        if (mine.isEmpty()) {
            mine.add(kind.outputNames().get(0));
        }
        return mine;
    }

    /**
     * Makes the requested outputs of one task.
     *
     * @param kind the task kind
     * @param logits (N, h0, w0, K) logits O
     * @param height image height as received
     * @param width image width as received
     * @param requested output names to produce (already validated for the kind)
     * @return the outputs, in the kind's order
     */
    static List<OutputTensor> make(TaskKind kind, NDArray logits, int height, int width, Set<String> requested) {
        long n = logits.getShape().get(0);
        NDArray o = TorchOps.bilinear(logits.transpose(0, 3, 1, 2), height, width);
        List<OutputTensor> outputs = new ArrayList<>();
        long[] plane = {n, height, width};
        switch (kind) {
            case SEGMENTATION:
                if (requested.contains("labels")) {
                    int[] labels = o.argMax(1).toType(DataType.INT32, false).toIntArray();
                    outputs.add(new OutputTensor("labels", plane, null, labels));
                }
                if (requested.contains("probabilities")) {
                    outputs.add(new OutputTensor("probabilities", o.getShape().getShape(),
                            o.softmax(1).toFloatArray(), null));
                }
                break;
            case DEPTH:
                outputs.add(new OutputTensor("depth", plane, o.maximum(0f).toFloatArray(), null));
                break;
            case NORMALS:
                NDArray norm = o.norm(new int[] {1}, true).maximum(NORMAL_EPS);
                outputs.add(new OutputTensor("normals", o.getShape().getShape(), o.div(norm).toFloatArray(), null));
                break;
            default:
                outputs.add(new OutputTensor(kind.outputNames().get(0), plane,
                        Activation.sigmoid(o).toFloatArray(), null));
                break;
        }
        return outputs;
    }
}
