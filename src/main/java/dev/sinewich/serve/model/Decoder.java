package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.nn.core.Linear;
import dev.sinewich.serve.model.onnx.GraphOps;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared part of the HRNet-style decoder (SPEC §4.7): per-stage 1×1 projections, bilinear
 * upsampling to stage 0's size, concatenation and the shared 1×1 fuse convolution. The per-task
 * bias, batch norm and output convolution live in {@link TaskRuntime#head}. Immutable and
 * thread-safe.
 */
final class Decoder {

    private final List<NDArray> down;
    private final NDArray fuse;

    private Decoder(List<NDArray> down, NDArray fuse) {
        this.down = down;
        this.fuse = fuse;
    }

    /**
     * Loads the decoder.
     *
     * @param reader the weight reader
     * @return the decoder, resident
     */
    static Decoder load(WeightReader reader) {
        List<NDArray> down = new ArrayList<>();
        for (int s = 0; s < reader.bundle().config().stages(); s++) {
            down.add(reader.residentMatrix("decoder.down." + s + ".weight"));
        }
        return new Decoder(List.copyOf(down), reader.residentMatrix("decoder.fuse.weight"));
    }

    /** Frees the weights (another engine holds a copy). */
    void releaseCopies() {
        down.forEach(NDArray::close);
        fuse.close();
    }

    /** Returns the bytes the decoder keeps. */
    long bytes() {
        return Memory.bytes(down.toArray(new NDArray[0])) + Memory.bytes(fuse);
    }

    /**
     * Writes the decoder into an ONNX graph. The shared 1×1 convolutions are linear and the resize
     * works per channel, so fuse(concat(resize(down_s F_s))) = Σ_s resize((fuse_s · down_s) F_s):
     * each stage is projected straight to the hidden width by one folded matrix at its own
     * resolution, which saves the wide fuse product at stage 0's resolution.
     *
     * @param ops the graph
     * @param features F_s as (N, h_s·w_s, C_s) tokens
     * @param height0 h_0
     * @param width0 w_0
     * @return (N, h0·w0, hidden) = conv1×1(X, decoder.fuse)
     */
    String emit(GraphOps ops, List<String> features, int height0, int width0) {
        float[] fuseWeights = fuse.toFloatArray();
        int hidden = (int) fuse.getShape().get(0);
        int concat = (int) fuse.getShape().get(1);
        String sum = null;
        int column = 0;
        for (int s = 0; s < features.size(); s++) {
            float[] downWeights = down.get(s).toFloatArray();
            int channels = (int) down.get(s).getShape().get(0);
            int in = (int) down.get(s).getShape().get(1);
            float[] folded = new float[hidden * in];
            for (int o = 0; o < hidden; o++) {
                for (int c = 0; c < channels; c++) {
                    float f = fuseWeights[o * concat + column + c];
                    for (int i = 0; i < in; i++) {
                        folded[o * in + i] += f * downWeights[c * in + i];
                    }
                }
            }
            column += channels;
            String g = ops.linear(features.get(s), "decoder." + s, folded, hidden, in, null);
            if (s > 0) {
                int factor = 1 << s;
                g = ops.reshape(ops.resizeNhwc(ops.reshape(g, -1, height0 / factor, width0 / factor, hidden),
                        factor, factor), -1, (long) height0 * width0, hidden);
            }
            sum = sum == null ? g : ops.binary("Add", sum, g);
        }
        return sum;
    }

    /**
     * Projects, upsamples, concatenates and fuses the stage features.
     *
     * @param features F_s channels-last (N, h_s, w_s, C_s)
     * @return (N, h0, w0, hidden) = conv1×1(X, decoder.fuse), owned by the features' manager
     */
    NDArray fuse(List<NDArray> features) {
        long h0 = features.get(0).getShape().get(1);
        long w0 = features.get(0).getShape().get(2);
        NDList parts = new NDList();
        for (int s = 0; s < features.size(); s++) {
            NDArray g = Linear.linear(features.get(s), down.get(s)).singletonOrThrow();
            if (s > 0) {
                g = TorchOps.bilinear(g.transpose(0, 3, 1, 2), h0, w0).transpose(0, 2, 3, 1);
            }
            parts.add(g);
        }
        return Linear.linear(NDArrays.concat(parts, -1), fuse).singletonOrThrow();
    }
}
