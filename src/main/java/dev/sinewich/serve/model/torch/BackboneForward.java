package dev.sinewich.serve.model.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import dev.sinewich.serve.model.RowTasks;
import dev.sinewich.serve.model.swin.PatchMerging;
import dev.sinewich.serve.model.swin.SwinBackbone;
import dev.sinewich.serve.model.swin.SwinBlock;
import java.util.ArrayList;
import java.util.List;

/** Runs the Swin backbone op by op on a pass's NDArrays. Stateless and thread-safe. */
final class BackboneForward {

    private BackboneForward() {}

    /**
     * Runs the backbone. Everything before the first task-specific block runs once per image;
     * there the images are expanded to the pass's rows (one per image and task) when they differ.
     *
     * @param backbone the backbone
     * @param input (N, 3, H, W) normalised images
     * @param rows the tasks of the pass's rows
     * @param expansion for each row its image index (int64), or {@code null} when rows are images
     * @return F_s for every stage, channels-last (R, h_s, w_s, C_s), owned by input's manager
     */
    static List<NDArray> features(SwinBackbone backbone, NDArray input, RowTasks rows, NDArray expansion) {
        int patchSize = backbone.patchSize();
        NDArray x = Conv2d.conv2d(input, backbone.patchWeight(), backbone.patchBias(), new Shape(patchSize, patchSize))
                .singletonOrThrow().transpose(0, 2, 3, 1);
        x = TorchOps.layerNorm(x, backbone.embedDim(), backbone.patchNormWeight(), backbone.patchNormBias());
        List<List<SwinBlock>> stages = backbone.stages();
        List<PatchMerging> merges = backbone.merges();
        int firstAdaptedBlock = backbone.firstAdaptedBlock();
        List<NDArray> features = new ArrayList<>();
        int index = 0;
        for (int s = 0; s < stages.size(); s++) {
            for (SwinBlock block : stages.get(s)) {
                if (index++ == firstAdaptedBlock && expansion != null) {
                    NDArray expanded = x.get(new NDIndex("{}", expansion));
                    x.close();
                    x = expanded;
                }
                // a block's input is never a stage output (those are merged first), so free it now
                NDArray next = BlockForward.forward(block, x, rows);
                x.close();
                x = next;
            }
            features.add(x);
            if (s < merges.size()) {
                x = MergingForward.forward(merges.get(s), x);
            }
        }
        if (firstAdaptedBlock < 0 && expansion != null) {
            features.replaceAll(f -> f.get(new NDIndex("{}", expansion)));
        }
        return features;
    }
}
