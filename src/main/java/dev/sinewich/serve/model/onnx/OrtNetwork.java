package dev.sinewich.serve.model.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A network split in two ONNX Runtime sessions: a task-independent prefix (images → tokens) and
 * a suffix run once per task (tokens plus the task's weights, bound per call → logits). Inputs and
 * outputs live in direct buffers that each calling thread reuses, and ONNX Runtime writes its
 * outputs straight into them, so no tensor is copied between the Java heap and native memory on
 * the way. Task weights are handed over as direct buffers and wrapped, not copied.
 *
 * <p>Thread-safe: ONNX Runtime sessions accept concurrent runs, and every per-call buffer is the
 * calling thread's own. Public only for {@link #version()}, which benchmarks report; the engine
 * ({@link OnnxRuntimeForward}) is its one user.
 */
public final class OrtNetwork implements AutoCloseable {

    /** The prefix's input name: (N, 3, H, W) normalised images. */
    static final String IMAGE = "image";
    /** The prefix's output and the suffix's input: (N, L, C) tokens. */
    static final String TOKENS = "tokens";
    /** The suffix's output: (N, L, K) logits. */
    static final String LOGITS = "logits";

    private static final int RETAINED_BYTES = 32 << 20;
    private static final int IMAGE_BUFFER = 0;
    private static final int TOKEN_BUFFER = 1;
    private static final int ROW_BUFFER = 2;
    private static final int LOGIT_BUFFER = 3;
    private static final int FIRST_OUTPUT_BUFFER = 4;

    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final Map<String, OrtSession> outputStages = new ConcurrentHashMap<>();
    private final OrtSession prefix;
    private final OrtSession suffix;
    private final long tokens;
    private final long channels;
    private final ThreadLocal<ByteBuffer[]> buffers = ThreadLocal.withInitial(() -> new ByteBuffer[6]);

    private OrtNetwork(OrtEnvironment env, OrtSession.SessionOptions options, OrtSession prefix, OrtSession suffix,
            long tokens, long channels) {
        this.env = env;
        this.options = options;
        this.prefix = prefix;
        this.suffix = suffix;
        this.tokens = tokens;
        this.channels = channels;
    }

    /**
     * Opens both sessions.
     *
     * @param prefixModel the prefix's {@code ModelProto}
     * @param suffixModel the suffix's {@code ModelProto}
     * @param threads intra-op threads; 0 lets ONNX Runtime choose (one per physical core)
     * @param tokens L, tokens per image after the prefix
     * @param channels C, channels per token after the prefix
     * @return the network
     * @throws IllegalStateException when ONNX Runtime refuses a model
     */
    static OrtNetwork open(byte[] prefixModel, byte[] suffixModel, int threads, long tokens, long channels) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtShutdown.keepEnvironmentUntilExit();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession first = null;
        try {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setIntraOpNumThreads(Math.max(0, threads));
            options.setInterOpNumThreads(1);
            // within a run, pool threads spin between ops (hundreds of small ops: parking and waking
            // them each time costs ~5 %); when a run returns they stop at once, so that a session's
            // pool does not spin against the next session of the same pass (2x slower) nor take the
            // cores from the HTTP threads. (A pool shared through the environment would avoid the
            // first; not measured since the environment is kept until exit, see OrtShutdown.)
            options.addConfigEntry("session.intra_op.allow_spinning", "1");
            options.addConfigEntry("session.force_spinning_stop", "1");
            first = env.createSession(prefixModel, options);
            OrtSession second = env.createSession(suffixModel, options);
            return new OrtNetwork(env, options, first, second, tokens, channels);
        } catch (OrtException e) {
            if (first != null) {
                closeQuietly(first);
            }
            options.close();
            throw new IllegalStateException("ONNX Runtime could not load the model graph: " + e.getMessage(), e);
        }
    }

    /**
     * Returns the ONNX Runtime version in use.
     *
     * @return the version
     */
    public static String version() {
        return OrtEnvironment.getEnvironment().getVersion();
    }

    /**
     * Runs the prefix. The result is valid on this thread until its next call of this method.
     *
     * @param images (N, 3, H, W) values
     * @param count N
     * @param height H
     * @param width W
     * @return (N, L, C) tokens in this thread's buffer
     */
    FloatBuffer prefix(float[] images, int count, int height, int width) {
        FloatBuffer in = buffer(IMAGE_BUFFER, images.length);
        in.put(images).rewind();
        FloatBuffer out = buffer(TOKEN_BUFFER, count * tokens * channels);
        try (OnnxTensor image = OnnxTensor.createTensor(env, in, new long[] {count, 3, height, width});
                OnnxTensor result = OnnxTensor.createTensor(env, out, new long[] {count, tokens, channels});
                OrtSession.Result ignored = prefix.run(Map.of(IMAGE, image), Map.of(TOKENS, result))) {
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed in the shared prefix: " + e.getMessage(), e);
        }
    }

    /**
     * Tells whether an output keeps a channel axis, (n, K, h, w), rather than being (n, h, w).
     *
     * @param output the output name
     * @return true for {@code probabilities} and {@code normals}
     */
    static boolean perChannel(String output) {
        return output.equals("probabilities") || output.equals("normals");
    }

    /**
     * Returns some consecutive images of the prefix's output, in place.
     *
     * @param tokens the prefix's output
     * @param first the first image
     * @param count how many
     * @return a view of their tokens
     */
    FloatBuffer images(FloatBuffer tokens, int first, int count) {
        long perImage = this.tokens * channels;
        return tokens.duplicate().position((int) (first * perImage)).limit((int) ((first + count) * perImage)).slice();
    }

    /**
     * Returns this thread's buffer for a pass's logits, valid until its next call of this method.
     *
     * @param floats the values it must hold
     * @return a direct buffer in native order of exactly that many values
     */
    FloatBuffer logitsBuffer(long floats) {
        return buffer(LOGIT_BUFFER, floats);
    }

    /**
     * Runs the suffix for one task on some of the prefix's rows.
     *
     * @param tokens the prefix's output, or a view of the images to run (see {@link #images})
     * @param rows which of its images, in order (copied together); {@code null} when {@code tokens}
     *     holds exactly the rows
     * @param rowCount the number of rows
     * @param taskInputs the task's weights by input name: direct, native-order buffers and their shapes
     * @param outputs K, logits per token
     * @param into a direct buffer of exactly rows · L · K values that receives the logits
     */
    void suffix(FloatBuffer tokens, long[] rows, int rowCount, Map<String, TensorView> taskInputs,
            int outputs, FloatBuffer into) {
        long perImage = this.tokens * channels;
        FloatBuffer in = tokens;
        if (rows != null) {
            in = buffer(ROW_BUFFER, rowCount * perImage);
            for (long r : rows) {
                in.put(tokens.duplicate().position((int) (r * perImage)).limit((int) ((r + 1) * perImage)));
            }
            in.rewind();
        }
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensor> feeds = new HashMap<>();
            feeds.put(TOKENS, track(owned, OnnxTensor.createTensor(env, in.duplicate().rewind()
                    .limit((int) (rowCount * perImage)), new long[] {rowCount, this.tokens, channels})));
            for (Map.Entry<String, TensorView> e : taskInputs.entrySet()) {
                feeds.put(e.getKey(), track(owned, OnnxTensor.createTensor(env, e.getValue().data(),
                        e.getValue().shape())));
            }
            OnnxTensor result = track(owned, OnnxTensor.createTensor(env, into,
                    new long[] {rowCount, this.tokens, outputs}));
            try (OrtSession.Result ignored = suffix.run(feeds, Map.of(LOGITS, result))) {
                // the logits are in the caller's buffer
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed in a task pass: " + e.getMessage(), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    /**
     * Runs the output stage (SPEC §4.8) on some rows of logits, one small graph per output.
     *
     * @param logits (n, h0, w0, K) logits: a direct buffer whose position and limit frame the rows
     * @param logitShape {n, h0, w0, K}
     * @param height h, the received image height
     * @param width w, the received image width
     * @param wanted the outputs to make, at most two: labels, probabilities, depth, normals,
     *     saliency or edges
     * @return each wanted output in this thread's buffer (an {@code IntBuffer} of (n, h, w) for
     *     {@code labels}, a {@code FloatBuffer} of (n, K, h, w) for probabilities and normals and of
     *     (n, h, w) otherwise), valid until its next call of this method
     */
    Map<String, Buffer> outputs(FloatBuffer logits, long[] logitShape, int height, int width,
            List<String> wanted) {
        long n = logitShape[0];
        long k = logitShape[3];
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensor> feeds = new HashMap<>();
            feeds.put(OutputGraphs.LOGITS, track(owned, OnnxTensor.createTensor(env, logits, logitShape)));
            feeds.put(OutputGraphs.SHAPE, track(owned, OnnxTensor.createTensor(env,
                    LongBuffer.wrap(new long[] {n, height, width, k}), new long[] {4})));
            Map<String, Buffer> results = new LinkedHashMap<>();
            int role = FIRST_OUTPUT_BUFFER;
            for (String name : wanted) {
                OrtSession session = outputStages.computeIfAbsent(name, this::openOutputStage);
                boolean planes = perChannel(name);
                long[] shape = name.equals("labels") ? new long[] {n, height, width}
                        : planes ? new long[] {n, k, height, width} : new long[] {n, height, width, 1};
                long size = n * height * width * (planes ? k : 1);
                FloatBuffer out = buffer(role, size);
                OnnxTensor tensor;
                if (name.equals("labels")) {
                    IntBuffer ints = intView(role, size);
                    tensor = OnnxTensor.createTensor(env, ints, shape);
                    results.put(name, ints);
                } else {
                    tensor = OnnxTensor.createTensor(env, out, shape);
                    results.put(name, out);
                }
                role++;
                track(owned, tensor);
                try (OrtSession.Result ignored = session.run(feeds, Map.of(OutputGraphs.OUTPUT, tensor))) {
                    // written into the pinned buffer
                }
            }
            return results;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed in the output stage: " + e.getMessage(), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    private OrtSession openOutputStage(String output) {
        try {
            return env.createSession(OutputGraphs.of(output), options);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load the output stage: " + e.getMessage(), e);
        }
    }

    /** A view of a role's buffer (sized by {@link #buffer} before) as ints. */
    private IntBuffer intView(int role, long ints) {
        ByteBuffer mine = buffers.get()[role];
        return mine.duplicate().order(ByteOrder.nativeOrder()).limit((int) ints * Integer.BYTES).asIntBuffer();
    }

    /**
     * A tensor handed to ONNX Runtime without a copy.
     *
     * @param data a direct buffer in native order holding the values
     * @param shape the dimensions
     */
    record TensorView(FloatBuffer data, long[] shape) {}

    private static OnnxTensor track(List<OnnxTensor> owned, OnnxTensor tensor) {
        owned.add(tensor);
        return tensor;
    }

    private FloatBuffer buffer(int role, long floats) {
        if (floats > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("a pass of " + floats + " values is larger than one buffer holds");
        }
        ByteBuffer[] mine = buffers.get();
        int bytes = (int) floats * Float.BYTES;
        // a buffer grown for one large pass is dropped at the next smaller one, not kept for ever
        boolean oversized = mine[role] != null && mine[role].capacity() > RETAINED_BYTES && bytes <= RETAINED_BYTES;
        if (mine[role] == null || mine[role].capacity() < bytes || oversized) {
            mine[role] = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        }
        return mine[role].duplicate().order(ByteOrder.nativeOrder()).limit(bytes).asFloatBuffer();
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException e) {
            // closing goes on for the rest; a session that cannot close has nothing more to give
        }
    }

    @Override
    public void close() {
        closeQuietly(prefix);
        closeQuietly(suffix);
        outputStages.values().forEach(OrtNetwork::closeQuietly);
        options.close();
    }
}
