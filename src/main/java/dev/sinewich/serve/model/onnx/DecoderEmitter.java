package dev.sinewich.serve.model.onnx;

import ai.djl.ndarray.NDArray;
import dev.sinewich.serve.model.swin.Decoder;
import java.util.List;

/** Writes the decoder's shared part into an ONNX graph. Stateless and thread-safe. */
final class DecoderEmitter {

    private DecoderEmitter() {}

    /**
     * Writes the decoder into an ONNX graph. The shared 1×1 convolutions are linear and the resize
     * works per channel, so fuse(concat(resize(down_s F_s))) = Σ_s resize((fuse_s · down_s) F_s):
     * each stage is projected straight to the hidden width by one folded matrix at its own
     * resolution, which saves the wide fuse product at stage 0's resolution.
     *
     * @param decoder the decoder
     * @param ops the graph
     * @param features F_s as (N, h_s·w_s, C_s) tokens
     * @param height0 h_0
     * @param width0 w_0
     * @return (N, h0·w0, hidden) = conv1×1(X, decoder.fuse)
     */
    static String emit(Decoder decoder, GraphOps ops, List<String> features, int height0, int width0) {
        NDArray fuse = decoder.fuseWeight();
        List<NDArray> down = decoder.downWeights();
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
}
