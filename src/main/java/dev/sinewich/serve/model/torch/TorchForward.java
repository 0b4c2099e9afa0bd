package dev.sinewich.serve.model.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.ForwardEngine;
import dev.sinewich.serve.model.OutputTensor;
import dev.sinewich.serve.model.RowTasks;
import dev.sinewich.serve.model.swin.Decoder;
import dev.sinewich.serve.model.swin.SwinBackbone;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The PyTorch engine (DJL + libtorch): runs the resident backbone and decoder op by op on the
 * pass's NDArrays, on a CPU or a GPU. Public for the model's engine choice; a pass reaches it only
 * through {@link ForwardEngine}. Immutable and thread-safe.
 */
public final class TorchForward implements ForwardEngine {

    /** The engine's name in settings and metadata. */
    public static final String NAME = "pytorch";

    private final SwinBackbone backbone;
    private final Decoder decoder;
    private final int height;
    private final int width;
    private final float[] mean;
    private final float[] std;

    /**
     * Runs on loaded parts.
     *
     * @param backbone the backbone
     * @param decoder the decoder
     * @param input the model input: its size, mean and standard deviation
     */
    public TorchForward(SwinBackbone backbone, Decoder decoder, SinewichConfig.Input input) {
        this.backbone = backbone;
        this.decoder = decoder;
        this.height = input.height();
        this.width = input.width();
        this.mean = input.meanValues();
        this.std = input.stdValues();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Pass run(float[] input, int images, RowTasks rows, long[] expansion, NDManager scope) {
        // every intermediate is closed as soon as nothing needs it, so that a pass's peak native
        // memory is one stage's working set plus what the next step reads, not the whole network's
        List<NDArray> features;
        try (NDManager local = scope.newSubManager()) {
            Shape channels = new Shape(1, 3, 1, 1);
            NDArray x = local.create(input, new Shape(images, 3, height, width))
                    .sub(local.create(mean, channels)).div(local.create(std, channels));
            features = BackboneForward.features(backbone, x, rows, expansion == null ? null : local.create(expansion));
            features.forEach(f -> f.attach(scope));
        }
        NDArray fused = DecoderForward.fuse(decoder, features);
        features.forEach(NDArray::close);
        List<NDArray> logits = new ArrayList<>();
        for (RowTasks.Segment segment : rows.segments()) {
            try (NDArray rowsOfTask = fused.get(new NDIndex("{}:{}", segment.start(), segment.end()))) {
                logits.add(DecoderForward.head(segment.task(), rowsOfTask));
            }
        }
        fused.close();
        return new Pass() {
            @Override
            public List<OutputTensor> outputs(int segment, int firstRow, int count, int h, int w, Set<String> names) {
                NDArray all = logits.get(segment);
                try (NDManager local = scope.newSubManager()) {
                    all.tempAttach(local);
                    return OutputMaker.make(rows.segments().get(segment).task().spec().kind(),
                            all.get(new NDIndex("{}:{}", firstRow, firstRow + count)), h, w, names);
                }
            }

            @Override
            public void release(int segment) {
                logits.get(segment).close();
            }
        };
    }

    @Override
    public void close() {
        // the resident weights belong to the model's manager
    }
}
