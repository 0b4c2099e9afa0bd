package dev.sinewich.serve.model.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.sinewich.serve.bundle.TaskKind;
import dev.sinewich.serve.model.OutputTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns decoder logits into the outputs of SPEC §4.8 on the PyTorch engine: resize straight to the
 * image as received, then argmax / softmax, ReLU, unit normalisation or sigmoid by task kind. Which
 * outputs a request gets is decided before (the model's {@code OutputSelection}). Stateless and
 * thread-safe.
 */
final class OutputMaker {

    private static final float NORMAL_EPS = 1e-12f;

    private OutputMaker() {}

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
