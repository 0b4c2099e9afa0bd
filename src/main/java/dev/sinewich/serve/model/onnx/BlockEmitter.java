package dev.sinewich.serve.model.onnx;

import ai.djl.ndarray.NDArray;
import dev.sinewich.serve.model.swin.BlockLinear;
import dev.sinewich.serve.model.swin.SwinBlock;
import dev.sinewich.serve.model.swin.WindowPlan;
import java.util.Map;

/** Writes one Swin block into an ONNX graph. Stateless and thread-safe. */
final class BlockEmitter {

    private BlockEmitter() {}

    /**
     * Writes the block into an ONNX graph, the same computation as the PyTorch engine's
     * ({@code torch.BlockForward}) on tokens laid out (N, h·w, C).
     *
     * @param block the block
     * @param ops the graph
     * @param x (N, h·w, C) tokens
     * @param hint a readable name part
     * @param taskWeights the graph input of each adapted linear's W_t
     * @return (N, h·w, C) tokens
     */
    static String emit(SwinBlock block, GraphOps ops, String x, String hint, Map<BlockLinear, String> taskWeights) {
        OnnxGraph g = ops.graph();
        WindowPlan plan = block.plan();
        BlockLinear qkv = block.qkv();
        int channels = block.channels();
        int heads = block.heads();
        NDArray attentionBias = block.attentionBias();
        int tokens = plan.tokens();
        int windows = plan.windows();
        int headDim = channels / heads;
        String y = ops.layerNorm(x, hint + ".norm1", block.norm1Weight().toFloatArray(),
                block.norm1Bias().toFloatArray());
        if (plan.padded()) {
            y = g.op("Pad", new String[] {y, g.constant("pads", new long[] {0, 0, 0, 0, 1, 0}, 6)});
        }
        String windowed = ops.reshape(ops.gather(y, plan.gatherIndex(), 1), -1, tokens, channels);
        float scale = (float) Math.pow(headDim, -0.5);
        // a constant qkv takes the query scale into its weights; a task-specific one cannot
        String projected = qkv.adapted() ? LinearEmitter.emit(qkv, ops, windowed, hint + ".qkv", taskWeights)
                : LinearEmitter.emitScaled(qkv, ops, windowed, hint + ".qkv", channels, scale);
        String context;
        if (plan.shifted()) {
            // the mask differs per window; a fused attention would need it repeated for every image,
            // which costs more than it saves at large batches: scores, mask and softmax as ops
            String qkvOut = ops.transpose(ops.reshape(projected, -1, tokens, 3, heads, headDim), 2, 0, 3, 1, 4);
            String q = qkv.adapted() ? ops.binary("Mul", ops.pick(qkvOut, 0), g.scalar(scale)) : ops.pick(qkvOut, 0);
            String k = ops.transpose(ops.pick(qkvOut, 1), 0, 1, 3, 2);
            String v = ops.pick(qkvOut, 2);
            String scores = ops.reshape(ops.binary("MatMul", q, k), -1, windows, heads, tokens, tokens);
            String bias = g.constant(hint + ".bias", attentionBias.toFloatArray(),
                    attentionBias.getShape().getShape());
            String probs = ops.reshape(ops.unary("Softmax", ops.binary("Add", scores, bias)), -1, heads, tokens, tokens);
            context = ops.reshape(ops.transpose(ops.binary("MatMul", probs, v), 0, 2, 1, 3),
                    -1, (long) windows * tokens, channels);
        } else {
            // one bias for every window: ONNX Runtime's fused multi-head attention
            String[] qkvParts = g.op("Split", 3, new String[] {projected}, OnnxGraph.attr("axis", 2L));
            String bias = g.constant(hint + ".bias", attentionBias.toFloatArray(), 1, heads, tokens, tokens);
            context = ops.reshape(ops.attention(qkvParts[0], qkvParts[1], qkvParts[2], bias, heads,
                    qkv.adapted() ? scale : 1f), -1, (long) windows * tokens, channels);
        }
        String attended = ops.gather(LinearEmitter.emit(block.proj(), ops, context, hint + ".proj", taskWeights),
                plan.scatterIndex(), 1);
        String afterAttention = ops.binary("Add", x, attended);
        String z = ops.layerNorm(afterAttention, hint + ".norm2", block.norm2Weight().toFloatArray(),
                block.norm2Bias().toFloatArray());
        z = LinearEmitter.emit(block.fc2(), ops,
                ops.gelu(LinearEmitter.emit(block.fc1(), ops, z, hint + ".fc1", taskWeights)), hint + ".fc2",
                taskWeights);
        return ops.binary("Add", afterAttention, z);
    }
}
