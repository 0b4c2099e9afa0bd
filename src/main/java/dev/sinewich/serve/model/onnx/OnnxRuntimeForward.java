package dev.sinewich.serve.model.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TaskKind;
import dev.sinewich.serve.model.ForwardEngine;
import dev.sinewich.serve.model.OutputTensor;
import dev.sinewich.serve.model.RowTasks;
import dev.sinewich.serve.model.onnx.OrtNetwork.TensorView;
import dev.sinewich.serve.model.swin.BlockLinear;
import dev.sinewich.serve.model.swin.Decoder;
import dev.sinewich.serve.model.swin.SwinBackbone;
import java.nio.Buffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ONNX Runtime engine for CPUs. At load it writes the model's network as two ONNX graphs, in
 * Java, from the loaded weights (any bundle that follows SPEC works; no Python, no file): the
 * task-independent prefix, with every weight a constant, and the rest, where each adapted linear's
 * task weight W_t and the task's head are graph inputs bound per call. So one session serves every
 * task: switching task binds other tensors, which the kernel policy provides as usual (cached or
 * derived per pass) and which are handed over without a copy. Public for the model's engine
 * choice; a pass reaches it only through {@link ForwardEngine}. Thread-safe.
 */
public final class OnnxRuntimeForward implements ForwardEngine {

    /** The engine's name in settings and metadata. */
    public static final String NAME = "onnxruntime";


    private static final String[] HEAD_INPUTS = {"head.scale", "head.shift", "head.weight", "head.bias"};

    private final OrtNetwork network;
    private final List<BlockLinear> adapted;
    private final int height;
    private final int width;
    private final int height0;
    private final int width0;

    private OnnxRuntimeForward(OrtNetwork network, List<BlockLinear> adapted, SinewichConfig config) {
        this.network = network;
        this.adapted = adapted;
        this.height = config.input().height();
        this.width = config.input().width();
        this.height0 = height / config.backbone().patchSize();
        this.width0 = width / config.backbone().patchSize();
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
    public static OnnxRuntimeForward open(SinewichConfig config, SwinBackbone backbone, Decoder decoder,
            int threads) {
        int h0 = config.input().height() / config.backbone().patchSize();
        int w0 = config.input().width() / config.backbone().patchSize();
        int c0 = config.backbone().embedDim();
        OnnxGraph prefix = new OnnxGraph("sinewich-prefix");
        GraphOps p = new GraphOps(prefix);
        String image = prefix.input(OrtNetwork.IMAGE, -1, 3, config.input().height(), config.input().width());
        prefix.identity(BackboneEmitter.emitPrefix(backbone, p, normalise(p, image, config.input()), h0, w0),
                OrtNetwork.TOKENS);
        prefix.output(OrtNetwork.TOKENS);

        OnnxGraph rest = new OnnxGraph("sinewich-task");
        GraphOps r = new GraphOps(rest);
        String tokens = rest.input(OrtNetwork.TOKENS, -1, (long) h0 * w0, c0);
        List<BlockLinear> adapted = backbone.adaptedLinears();
        Map<BlockLinear, String> weights = new IdentityHashMap<>();
        for (int i = 0; i < adapted.size(); i++) {
            weights.put(adapted.get(i), rest.input(weightInput(i), adapted.get(i).shape()));
        }
        String fused = DecoderEmitter.emit(decoder, r, BackboneEmitter.emitRest(backbone, r, tokens, h0, w0, weights),
                h0, w0);
        int hidden = config.decoder().hidden();
        String scale = rest.input(HEAD_INPUTS[0], hidden);
        String shift = rest.input(HEAD_INPUTS[1], hidden);
        String outWeight = rest.input(HEAD_INPUTS[2], -1, hidden);
        String outBias = rest.input(HEAD_INPUTS[3], -1);
        String z = r.unary("Relu", r.binary("Add", r.binary("Mul", fused, scale), shift));
        rest.identity(r.linearOutIn(z, outWeight, outBias), OrtNetwork.LOGITS);
        rest.output(OrtNetwork.LOGITS);

        OrtNetwork network = OrtNetwork.open(prefix.toModel(), rest.toModel(), threads, (long) h0 * w0, c0);
        // the sessions hold the network now; keep only what task weights are derived from
        backbone.releaseCopies();
        decoder.releaseCopies();
        // writing the graphs took several heap copies of the weights, once: give that heap back
        // rather than keep it committed for the life of the process
        System.gc();
        return new OnnxRuntimeForward(network, adapted, config);
    }

    /** (x − mean) / std per channel, the same float operations as the PyTorch engine's. */
    private static String normalise(GraphOps ops, String image, SinewichConfig.Input input) {
        String centred = ops.binary("Sub", image, ops.graph().constant("mean", input.meanValues(), 1, 3, 1, 1));
        return ops.binary("Div", centred, ops.graph().constant("std", input.stdValues(), 1, 3, 1, 1));
    }

    private static String weightInput(int i) {
        return "w" + i;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Pass run(float[] input, int images, RowTasks rows, long[] expansion, NDManager scope) {
        FloatBuffer tokens = network.prefix(input, images, height, width);
        List<RowTasks.Segment> segments = rows.segments();
        long perRow = (long) height0 * width0;
        long total = 0;
        for (RowTasks.Segment segment : segments) {
            total += (segment.end() - segment.start()) * perRow * segment.task().spec().outputs();
        }
        FloatBuffer logits = network.logitsBuffer(total);
        long[] offsets = new long[segments.size()];
        long offset = 0;
        for (int s = 0; s < segments.size(); s++) {
            RowTasks.Segment segment = segments.get(s);
            int count = segment.end() - segment.start();
            // rows that are the images themselves are a contiguous run of them: read in place
            FloatBuffer rowsIn = expansion == null ? network.images(tokens, segment.start(), count) : tokens;
            long[] select = expansion == null ? null : Arrays.copyOfRange(expansion, segment.start(), segment.end());
            Map<String, TensorView> feeds = new LinkedHashMap<>();
            for (int i = 0; i < adapted.size(); i++) {
                feeds.put(weightInput(i), view(segment.weights().weight(adapted.get(i), scope)));
            }
            NDArray[] head = segment.task().headTensors();
            for (int i = 0; i < HEAD_INPUTS.length; i++) {
                feeds.put(HEAD_INPUTS[i], view(head[i]));
            }
            int outputs = segment.task().spec().outputs();
            offsets[s] = offset;
            long size = count * perRow * outputs;
            network.suffix(rowsIn, select, count, feeds, outputs, slice(logits, offset, size));
            offset += size;
        }
        return (segment, firstRow, count, h, w, names) -> {
            TaskKind kind = segments.get(segment).task().spec().kind();
            int k = segments.get(segment).task().spec().outputs();
            long rowFloats = perRow * k;
            FloatBuffer mine = slice(logits, offsets[segment] + firstRow * rowFloats, count * rowFloats);
            return outputs(kind, mine, new long[] {count, height0, width0, k}, h, w, names);
        };
    }

    private List<OutputTensor> outputs(TaskKind kind, FloatBuffer logits, long[] logitShape, int h, int w,
            Set<String> names) {
        long n = logitShape[0];
        List<String> wanted = kind.outputNames().stream().filter(names::contains).toList();
        Map<String, Buffer> made = network.outputs(logits, logitShape, h, w, wanted);
        List<OutputTensor> result = new ArrayList<>();
        for (String name : wanted) {
            Buffer buffer = made.get(name);
            if (buffer instanceof IntBuffer ints) {
                int[] values = new int[ints.remaining()];
                ints.get(values);
                result.add(new OutputTensor(name, new long[] {n, h, w}, null, values));
            } else {
                FloatBuffer floats = (FloatBuffer) buffer;
                float[] values = new float[floats.remaining()];
                floats.get(values);
                long[] shape = OrtNetwork.perChannel(name) ? new long[] {n, logitShape[3], h, w} : new long[] {n, h, w};
                result.add(new OutputTensor(name, shape, values, null));
            }
        }
        return result;
    }

    private static FloatBuffer slice(FloatBuffer buffer, long offset, long size) {
        return buffer.duplicate().position((int) offset).limit((int) (offset + size)).slice();
    }

    /** Wraps an NDArray's native memory for ONNX Runtime; the array must outlive the pass. */
    private static TensorView view(NDArray array) {
        FloatBuffer data = array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        return new TensorView(data, array.getShape().getShape());
    }

    @Override
    public void close() {
        network.close();
    }
}
