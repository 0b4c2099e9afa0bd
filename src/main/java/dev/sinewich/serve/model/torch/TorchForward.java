package dev.sinewich.serve.model.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.ForwardEngine;
import dev.sinewich.serve.model.RowTasks;
import dev.sinewich.serve.model.swin.Decoder;
import dev.sinewich.serve.model.swin.SwinBackbone;
import java.util.ArrayList;
import java.util.List;

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
        Shape channels = new Shape(1, 3, 1, 1);
        NDArray x = scope.create(input, new Shape(images, 3, height, width))
                .sub(scope.create(mean, channels)).div(scope.create(std, channels));
        List<NDArray> features = BackboneForward.features(backbone, x, rows,
                expansion == null ? null : scope.create(expansion));
        NDArray fused = DecoderForward.fuse(decoder, features);
        List<NDArray> logits = new ArrayList<>();
        for (RowTasks.Segment segment : rows.segments()) {
            NDArray rowsOfTask = fused.get(new NDIndex("{}:{}", segment.start(), segment.end()));
            logits.add(DecoderForward.head(segment.task(), rowsOfTask));
        }
        return (segment, firstRow, count, h, w, names) -> OutputMaker.make(
                rows.segments().get(segment).task().spec().kind(),
                logits.get(segment).get(new NDIndex("{}:{}", firstRow, firstRow + count)), h, w, names);
    }

    @Override
    public void close() {
        // the resident weights belong to the model's manager
    }
}
