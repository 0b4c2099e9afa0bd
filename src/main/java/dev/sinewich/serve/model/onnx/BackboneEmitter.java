package dev.sinewich.serve.model.onnx;

import ai.djl.ndarray.NDArray;
import dev.sinewich.serve.model.swin.BlockLinear;
import dev.sinewich.serve.model.swin.PatchMerging;
import dev.sinewich.serve.model.swin.SwinBackbone;
import dev.sinewich.serve.model.swin.SwinBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the Swin backbone into ONNX graphs, split where the first task-specific block starts.
 * Stateless and thread-safe.
 */
final class BackboneEmitter {

    private BackboneEmitter() {}

    /**
     * Writes the task-independent prefix into an ONNX graph: patch embedding and the blocks before
     * the first task-specific one.
     *
     * @param backbone the backbone
     * @param ops the graph
     * @param image (N, 3, H, W) normalised images
     * @param height0 stage 0's feature-map height
     * @param width0 stage 0's feature-map width
     * @return (N, h0·w0, C0) tokens
     */
    static String emitPrefix(SwinBackbone backbone, GraphOps ops, String image, int height0, int width0) {
        NDArray patchWeight = backbone.patchWeight();
        long[] dims = patchWeight.getShape().getShape();
        String x = ops.conv(image, "patch", patchWeight.toFloatArray(), backbone.patchBias().toFloatArray(), dims,
                backbone.patchSize());
        x = ops.transpose(ops.reshape(x, 0, backbone.embedDim(), (long) height0 * width0), 0, 2, 1);
        x = ops.layerNorm(x, "patch.norm", backbone.patchNormWeight().toFloatArray(),
                backbone.patchNormBias().toFloatArray());
        for (int j = 0; j < backbone.sharedBlocks(); j++) {
            x = BlockEmitter.emit(backbone.stages().get(0).get(j), ops, x, "s0b" + j, Map.of());
        }
        return x;
    }

    /**
     * Writes the rest of the backbone into an ONNX graph, from the first task-specific block on.
     *
     * @param backbone the backbone
     * @param ops the graph
     * @param tokens the prefix's output
     * @param height0 stage 0's feature-map height
     * @param width0 stage 0's feature-map width
     * @param taskWeights the graph input of each adapted linear's W_t
     * @return F_s for every stage as (N, h_s·w_s, C_s) tokens
     */
    static List<String> emitRest(SwinBackbone backbone, GraphOps ops, String tokens, int height0, int width0,
            Map<BlockLinear, String> taskWeights) {
        List<List<SwinBlock>> stages = backbone.stages();
        List<PatchMerging> merges = backbone.merges();
        List<String> features = new ArrayList<>();
        String x = tokens;
        int height = height0;
        int width = width0;
        for (int s = 0; s < stages.size(); s++) {
            List<SwinBlock> blocks = stages.get(s);
            for (int j = s == 0 ? backbone.sharedBlocks() : 0; j < blocks.size(); j++) {
                x = BlockEmitter.emit(blocks.get(j), ops, x, "s" + s + "b" + j, taskWeights);
            }
            features.add(x);
            if (s < merges.size()) {
                x = MergingEmitter.emit(merges.get(s), ops, x, height, width, "merge" + s);
                height /= 2;
                width /= 2;
            }
        }
        return features;
    }
}
