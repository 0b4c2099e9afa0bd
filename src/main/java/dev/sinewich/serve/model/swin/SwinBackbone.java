package dev.sinewich.serve.model.swin;

import ai.djl.ndarray.NDArray;
import dev.sinewich.serve.bundle.SinewichConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The frozen Swin backbone as loaded, {@code SwinTransformer.features} of torchvision with each
 * row's task weights in the adapted linears (SPEC §4.6): the patch embedding, the stages of blocks
 * and the patch mergings between them. Built for the model's fixed input size. It holds weights
 * only; each engine runs or writes it its own way. Immutable and thread-safe.
 */
public final class SwinBackbone {

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
    public static SwinBackbone load(WeightReader reader) {
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

    /**
     * Returns the bytes of the backbone, fused kernels excluded.
     *
     * @return the bytes
     */
    public long baseBytes() {
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
    public void releaseCopies() {
        for (NDArray a : new NDArray[] {patchWeight, patchBias, patchNormWeight, patchNormBias}) {
            a.close();
        }
        stages.forEach(stage -> stage.forEach(SwinBlock::releaseCopies));
        merges.forEach(PatchMerging::releaseCopies);
    }

    /**
     * Returns every linear with a task-specific branch, in network order.
     *
     * @return the adapted linears
     */
    public List<BlockLinear> adaptedLinears() {
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
    public int sharedBlocks() {
        return Math.max(firstAdaptedBlock, 0);
    }

    /**
     * Returns the first block with a task-specific linear, counted over all blocks in network
     * order: there a pass's images become its rows (one per image and task).
     *
     * @return the block's index, or -1 when no linear is task-specific
     */
    public int firstAdaptedBlock() {
        return firstAdaptedBlock;
    }

    /**
     * Returns the patch side of the patch embedding (its convolution's kernel and stride).
     *
     * @return the patch size
     */
    public int patchSize() {
        return patchSize;
    }

    /**
     * Returns stage 0's channels C0.
     *
     * @return the embedding width
     */
    public int embedDim() {
        return embedDim;
    }

    /**
     * Returns the patch embedding's convolution weight.
     *
     * @return (C0, 3, patch, patch), resident
     */
    public NDArray patchWeight() {
        return patchWeight;
    }

    /**
     * Returns the patch embedding's convolution bias.
     *
     * @return (C0), resident
     */
    public NDArray patchBias() {
        return patchBias;
    }

    /**
     * Returns the patch embedding's LayerNorm weight.
     *
     * @return (C0), resident
     */
    public NDArray patchNormWeight() {
        return patchNormWeight;
    }

    /**
     * Returns the patch embedding's LayerNorm bias.
     *
     * @return (C0), resident
     */
    public NDArray patchNormBias() {
        return patchNormBias;
    }

    /**
     * Returns the blocks, stage by stage.
     *
     * @return the stages' blocks, in network order
     */
    public List<List<SwinBlock>> stages() {
        return stages;
    }

    /**
     * Returns the patch mergings; merging s follows stage s.
     *
     * @return one fewer than the stages
     */
    public List<PatchMerging> merges() {
        return merges;
    }
}
