package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.LayerNorm;
import dev.sinewich.serve.bundle.SinewichConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The frozen Swin backbone, {@code SwinTransformer.features} of torchvision with the task's weights
 * in the adapted linears (SPEC §4.6). Built for the model's fixed input size. Immutable and
 * thread-safe.
 */
final class SwinBackbone {

    private final int patchSize;
    private final int embedDim;
    private final NDArray patchWeight;
    private final NDArray patchBias;
    private final NDArray patchNormWeight;
    private final NDArray patchNormBias;
    private final List<List<SwinBlock>> stages;
    private final List<PatchMerging> merges;

    private SwinBackbone(SinewichConfig.Backbone bb, NDArray[] patch, List<List<SwinBlock>> stages,
            List<PatchMerging> merges) {
        this.patchSize = bb.patchSize();
        this.embedDim = bb.embedDim();
        this.patchWeight = patch[0];
        this.patchBias = patch[1];
        this.patchNormWeight = patch[2];
        this.patchNormBias = patch[3];
        this.stages = stages;
        this.merges = merges;
    }

    /**
     * Loads the backbone.
     *
     * @param reader the weight reader
     * @return the backbone, resident
     */
    static SwinBackbone load(WeightReader reader) {
        SinewichConfig config = reader.bundle().config();
        SinewichConfig.Backbone bb = config.backbone();
        NDArray[] patch = {
            reader.resident("backbone.features.0.0.weight"),
            reader.resident("backbone.features.0.0.bias"),
            reader.resident("backbone.features.0.2.weight"),
            reader.resident("backbone.features.0.2.bias"),
        };
        int height = config.input().height() / bb.patchSize();
        int width = config.input().width() / bb.patchSize();
        List<List<SwinBlock>> stages = new ArrayList<>();
        List<PatchMerging> merges = new ArrayList<>();
        for (int s = 0; s < config.stages(); s++) {
            List<SwinBlock> blocks = new ArrayList<>();
            for (int j = 0; j < bb.depths().get(s); j++) {
                blocks.add(SwinBlock.load(reader, s, j, height, width));
            }
            stages.add(List.copyOf(blocks));
            if (s < config.stages() - 1) {
                merges.add(PatchMerging.load(reader, s));
                height /= 2;
                width /= 2;
            }
        }
        return new SwinBackbone(bb, patch, List.copyOf(stages), List.copyOf(merges));
    }

    /**
     * Runs the backbone for one task.
     *
     * @param input (N, 3, H, W) normalised images
     * @param task the task whose weights the adapted linears use
     * @return F_s for every stage, channels-last (N, h_s, w_s, C_s), owned by input's manager
     */
    List<NDArray> features(NDArray input, TaskRuntime task) {
        NDArray x = Conv2d.conv2d(input, patchWeight, patchBias, new Shape(patchSize, patchSize))
                .singletonOrThrow().transpose(0, 2, 3, 1);
        x = LayerNorm.layerNorm(x, new Shape(embedDim), patchNormWeight, patchNormBias, 1e-5f).singletonOrThrow();
        List<NDArray> features = new ArrayList<>();
        for (int s = 0; s < stages.size(); s++) {
            for (SwinBlock block : stages.get(s)) {
                // a block's input is never a stage output (those are merged first), so free it now
                NDArray next = block.forward(x, task);
                x.close();
                x = next;
            }
            features.add(x);
            if (s < merges.size()) {
                x = merges.get(s).forward(x);
            }
        }
        return features;
    }
}
