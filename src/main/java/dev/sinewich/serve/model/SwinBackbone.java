package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.LayerNorm;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.onnx.GraphOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The frozen Swin backbone, {@code SwinTransformer.features} of torchvision with each row's task
 * weights in the adapted linears (SPEC §4.6). Built for the model's fixed input size. Immutable and
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
    private final int firstAdaptedBlock;

    private SwinBackbone(SinewichConfig.Backbone bb, boolean awbTargets, NDArray[] patch,
            List<List<SwinBlock>> stages, List<PatchMerging> merges) {
        this.patchSize = bb.patchSize();
        this.embedDim = bb.embedDim();
        this.patchWeight = patch[0];
        this.patchBias = patch[1];
        this.patchNormWeight = patch[2];
        this.patchNormBias = patch[3];
        this.stages = stages;
        this.merges = merges;
        // the last block of stage 0 is the first with a task-specific linear, unless there are none
        this.firstAdaptedBlock = awbTargets ? bb.depths().get(0) - 1 : -1;
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
        return new SwinBackbone(bb, !config.awb().targets().isEmpty(), patch, List.copyOf(stages),
                List.copyOf(merges));
    }

    /** Returns the bytes of the backbone, fused kernels excluded. */
    long baseBytes() {
        long bytes = Memory.bytes(patchWeight, patchBias, patchNormWeight, patchNormBias);
        for (List<SwinBlock> stage : stages) {
            for (SwinBlock block : stage) {
                bytes += block.baseBytes();
            }
        }
        for (PatchMerging merge : merges) {
            bytes += merge.bytes();
        }
        return bytes;
    }

    /**
     * Frees what another engine holds a copy of, keeping what task weights are derived from. The
     * backbone cannot run afterwards.
     */
    void releaseCopies() {
        for (NDArray a : new NDArray[] {patchWeight, patchBias, patchNormWeight, patchNormBias}) {
            a.close();
        }
        stages.forEach(stage -> stage.forEach(SwinBlock::releaseCopies));
        merges.forEach(PatchMerging::releaseCopies);
    }

    /** Returns every linear with a task-specific branch, in network order. */
    List<BlockLinear> adaptedLinears() {
        List<BlockLinear> adapted = new ArrayList<>();
        for (List<SwinBlock> stage : stages) {
            for (SwinBlock block : stage) {
                block.linears().stream().filter(BlockLinear::adapted).forEach(adapted::add);
            }
        }
        return adapted;
    }

    /**
     * Returns how many blocks run before the first task-specific one (all in stage 0).
     *
     * @return the number of task-independent blocks
     */
    int sharedBlocks() {
        return Math.max(firstAdaptedBlock, 0);
    }

    /**
     * Writes the task-independent prefix into an ONNX graph: patch embedding and the blocks before
     * the first task-specific one.
     *
     * @param ops the graph
     * @param image (N, 3, H, W) normalised images
     * @param height0 stage 0's feature-map height
     * @param width0 stage 0's feature-map width
     * @return (N, h0·w0, C0) tokens
     */
    String emitPrefix(GraphOps ops, String image, int height0, int width0) {
        long[] dims = patchWeight.getShape().getShape();
        String x = ops.conv(image, "patch", patchWeight.toFloatArray(), patchBias.toFloatArray(), dims, patchSize);
        x = ops.transpose(ops.reshape(x, 0, embedDim, (long) height0 * width0), 0, 2, 1);
        x = ops.layerNorm(x, "patch.norm", patchNormWeight.toFloatArray(), patchNormBias.toFloatArray());
        for (int j = 0; j < sharedBlocks(); j++) {
            x = stages.get(0).get(j).emit(ops, x, "s0b" + j, Map.of());
        }
        return x;
    }

    /**
     * Writes the rest of the backbone into an ONNX graph, from the first task-specific block on.
     *
     * @param ops the graph
     * @param tokens the prefix's output
     * @param height0 stage 0's feature-map height
     * @param width0 stage 0's feature-map width
     * @param taskWeights the graph input of each adapted linear's W_t
     * @return F_s for every stage as (N, h_s·w_s, C_s) tokens
     */
    List<String> emitRest(GraphOps ops, String tokens, int height0, int width0,
            Map<BlockLinear, String> taskWeights) {
        List<String> features = new ArrayList<>();
        String x = tokens;
        int height = height0;
        int width = width0;
        for (int s = 0; s < stages.size(); s++) {
            List<SwinBlock> blocks = stages.get(s);
            for (int j = s == 0 ? sharedBlocks() : 0; j < blocks.size(); j++) {
                x = blocks.get(j).emit(ops, x, "s" + s + "b" + j, taskWeights);
            }
            features.add(x);
            if (s < merges.size()) {
                x = merges.get(s).emit(ops, x, height, width, "merge" + s);
                height /= 2;
                width /= 2;
            }
        }
        return features;
    }

    /**
     * Runs the backbone. Everything before the first task-specific block runs once per image;
     * there the images are expanded to the pass's rows (one per image and task) when they differ.
     *
     * @param input (N, 3, H, W) normalised images
     * @param rows the tasks of the pass's rows
     * @param expansion for each row its image index (int64), or {@code null} when rows are images
     * @return F_s for every stage, channels-last (R, h_s, w_s, C_s), owned by input's manager
     */
    List<NDArray> features(NDArray input, RowTasks rows, NDArray expansion) {
        NDArray x = Conv2d.conv2d(input, patchWeight, patchBias, new Shape(patchSize, patchSize))
                .singletonOrThrow().transpose(0, 2, 3, 1);
        x = LayerNorm.layerNorm(x, new Shape(embedDim), patchNormWeight, patchNormBias, 1e-5f).singletonOrThrow();
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
                NDArray next = block.forward(x, rows);
                x.close();
                x = next;
            }
            features.add(x);
            if (s < merges.size()) {
                x = merges.get(s).forward(x);
            }
        }
        if (firstAdaptedBlock < 0 && expansion != null) {
            features.replaceAll(f -> f.get(new NDIndex("{}", expansion)));
        }
        return features;
    }
}
