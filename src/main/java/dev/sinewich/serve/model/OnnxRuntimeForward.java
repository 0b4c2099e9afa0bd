package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.onnx.GraphOps;
import dev.sinewich.serve.model.onnx.OnnxGraph;
import dev.sinewich.serve.model.onnx.OrtNetwork;
import dev.sinewich.serve.model.onnx.OrtNetwork.TensorView;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ONNX Runtime engine for CPUs. At load it writes the model's network as two ONNX graphs, in
 * Java, from the loaded weights (any bundle that follows SPEC works; no Python, no file): the
 * task-independent prefix, with every weight a constant, and the rest, where each adapted linear's
 * task weight W_t and the task's head are graph inputs bound per call. So one session serves every
 * task: switching task binds other tensors, which the kernel policy provides as usual (cached or
 * derived per pass) and which are handed over without a copy. Thread-safe.
 */
final class OnnxRuntimeForward implements ForwardEngine {

    /** The engine's name in settings and metadata. */
    static final String NAME = "onnxruntime";

    private static final String[] HEAD_INPUTS = {"head.scale", "head.shift", "head.weight", "head.bias"};

    private final OrtNetwork network;
    private final List<BlockLinear> adapted;
    private final int height;
    private final int width;
    private final int height0;
    private final int width0;
    private final long graphBytes;

    private OnnxRuntimeForward(OrtNetwork network, List<BlockLinear> adapted, SinewichConfig config,
            long graphBytes) {
        this.network = network;
        this.adapted = adapted;
        this.height = config.input().height();
        this.width = config.input().width();
        this.height0 = height / config.backbone().patchSize();
        this.width0 = width / config.backbone().patchSize();
        this.graphBytes = graphBytes;
    }

    /**
     * Writes the graphs and opens them in ONNX Runtime.
     *
     * @param config the bundle's configuration
     * @param backbone the loaded backbone
     * @param decoder the loaded decoder
     * @param threads intra-op threads, 0 for ONNX Runtime's default
     * @return the engine
     */
    static OnnxRuntimeForward open(SinewichConfig config, SwinBackbone backbone, Decoder decoder, int threads) {
        int h0 = config.input().height() / config.backbone().patchSize();
        int w0 = config.input().width() / config.backbone().patchSize();
        int c0 = config.backbone().embedDim();
        OnnxGraph prefix = new OnnxGraph("sinewich-prefix");
        GraphOps p = new GraphOps(prefix);
        String image = prefix.input(OrtNetwork.IMAGE, -1, 3, config.input().height(), config.input().width());
        prefix.identity(backbone.emitPrefix(p, image, h0, w0), OrtNetwork.TOKENS);
        prefix.output(OrtNetwork.TOKENS);

        OnnxGraph rest = new OnnxGraph("sinewich-task");
        GraphOps r = new GraphOps(rest);
        String tokens = rest.input(OrtNetwork.TOKENS, -1, (long) h0 * w0, c0);
        List<BlockLinear> adapted = backbone.adaptedLinears();
        Map<BlockLinear, String> weights = new IdentityHashMap<>();
        for (int i = 0; i < adapted.size(); i++) {
            weights.put(adapted.get(i), rest.input(weightInput(i), adapted.get(i).shape()));
        }
        String fused = decoder.emit(r, backbone.emitRest(r, tokens, h0, w0, weights), h0, w0);
        int hidden = config.decoder().hidden();
        String scale = rest.input(HEAD_INPUTS[0], hidden);
        String shift = rest.input(HEAD_INPUTS[1], hidden);
        String outWeight = rest.input(HEAD_INPUTS[2], -1, hidden);
        String outBias = rest.input(HEAD_INPUTS[3], -1);
        String z = r.unary("Relu", r.binary("Add", r.binary("Mul", fused, scale), shift));
        rest.identity(r.linearOutIn(z, outWeight, outBias), OrtNetwork.LOGITS);
        rest.output(OrtNetwork.LOGITS);

        OrtNetwork network = OrtNetwork.open(prefix.toModel(), rest.toModel(), threads, (long) h0 * w0, c0);
        return new OnnxRuntimeForward(network, adapted, config, prefix.constantBytes() + rest.constantBytes());
    }

    private static String weightInput(int i) {
        return "w" + i;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<NDArray> logits(float[] input, int images, RowTasks rows, long[] expansion, NDManager scope) {
        FloatBuffer tokens = network.prefix(input, images, height, width);
        List<NDArray> logits = new ArrayList<>();
        boolean whole = expansion == null && rows.segments().size() == 1;
        for (RowTasks.Segment segment : rows.segments()) {
            int count = segment.end() - segment.start();
            long[] select = null;
            if (!whole) {
                select = expansion != null ? Arrays.copyOfRange(expansion, segment.start(), segment.end())
                        : rangeOf(segment.start(), segment.end());
            }
            Map<String, TensorView> feeds = new LinkedHashMap<>();
            for (int i = 0; i < adapted.size(); i++) {
                feeds.put(weightInput(i), view(segment.weights().weight(adapted.get(i), scope)));
            }
            NDArray[] head = segment.task().headTensors();
            for (int i = 0; i < HEAD_INPUTS.length; i++) {
                feeds.put(HEAD_INPUTS[i], view(head[i]));
            }
            int outputs = segment.task().spec().outputs();
            FloatBuffer out = network.suffix(tokens, select, count, feeds, outputs);
            float[] values = new float[count * height0 * width0 * outputs];
            out.rewind();
            out.get(values);
            logits.add(scope.create(values, new Shape(count, height0, width0, outputs)));
        }
        return logits;
    }

    private static long[] rangeOf(int start, int end) {
        long[] range = new long[end - start];
        for (int i = 0; i < range.length; i++) {
            range[i] = start + i;
        }
        return range;
    }

    /** Wraps an NDArray's native memory for ONNX Runtime; the array must outlive the pass. */
    private static TensorView view(NDArray array) {
        FloatBuffer data = array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        return new TensorView(data, array.getShape().getShape());
    }

    @Override
    public long extraBytes() {
        return graphBytes;
    }

    @Override
    public void close() {
        network.close();
    }
}
