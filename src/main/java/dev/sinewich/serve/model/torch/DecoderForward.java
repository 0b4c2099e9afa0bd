package dev.sinewich.serve.model.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import dev.sinewich.serve.model.TaskRuntime;
import dev.sinewich.serve.model.swin.Decoder;
import java.util.List;

/**
 * Runs the decoder on a pass's NDArrays: the shared fuse of the stage features, then each task's
 * head on its segment's rows. Stateless and thread-safe.
 */
final class DecoderForward {

    private DecoderForward() {}

    /**
     * Projects, upsamples, concatenates and fuses the stage features.
     *
     * @param decoder the decoder
     * @param features F_s channels-last (N, h_s, w_s, C_s)
     * @return (N, h0, w0, hidden) = conv1×1(X, decoder.fuse), owned by the features' manager; the
     *     projections and upsampled parts are closed before it returns
     */
    static NDArray fuse(Decoder decoder, List<NDArray> features) {
        List<NDArray> down = decoder.downWeights();
        long h0 = features.get(0).getShape().get(1);
        long w0 = features.get(0).getShape().get(2);
        NDManager owner = features.get(0).getManager();
        try (NDManager local = owner.newSubManager()) {
            features.forEach(f -> f.tempAttach(local));
            NDList parts = new NDList();
            for (int s = 0; s < features.size(); s++) {
                NDArray g = Linear.linear(features.get(s), down.get(s)).singletonOrThrow();
                if (s > 0) {
                    g = TorchOps.bilinear(g.transpose(0, 3, 1, 2), h0, w0).transpose(0, 2, 3, 1);
                }
                parts.add(g);
            }
            NDArray fused = Linear.linear(NDArrays.concat(parts, -1), decoder.fuseWeight()).singletonOrThrow();
            fused.attach(owner);
            return fused;
        }
    }

    /**
     * Runs a task's head on the shared fused decoder features.
     *
     * @param task the task
     * @param fused (N, h0, w0, hidden) = conv1×1(X, decoder.fuse), without bias
     * @return (N, h0, w0, outputs) logits O
     */
    static NDArray head(TaskRuntime task, NDArray fused) {
        NDArray[] head = task.headTensors(); // scale, shift, output weight, output bias
        NDManager owner = fused.getManager();
        try (NDManager local = owner.newSubManager()) {
            fused.tempAttach(local);
            NDArray z = Activation.relu(fused.mul(head[0]).add(head[1]));
            NDArray logits = Linear.linear(z, head[2], head[3]).singletonOrThrow();
            logits.attach(owner);
            return logits;
        }
    }
}
