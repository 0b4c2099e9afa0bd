package dev.sinewich.serve.model.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.sinewich.serve.model.RowTasks;
import dev.sinewich.serve.model.swin.SwinBlock;
import dev.sinewich.serve.model.swin.WindowPlan;

/**
 * Runs one Swin block op by op on a pass's NDArrays (channels-last activations): the window
 * gather, attention with the block's bias-plus-mask, the scatter back, and the MLP. Stateless and
 * thread-safe.
 */
final class BlockForward {

    private BlockForward() {}

    /**
     * Runs the block. Intermediates live in a scope closed before returning.
     *
     * @param block the block
     * @param x (N, h, w, C) activations
     * @param rows the tasks of the pass's rows
     * @return (N, h, w, C) activations, owned by x's manager
     */
    static NDArray forward(SwinBlock block, NDArray x, RowTasks rows) {
        NDManager owner = x.getManager();
        try (NDManager local = owner.newSubManager()) {
            x.tempAttach(local);
            NDArray y = TorchOps.layerNorm(x, block.channels(), block.norm1Weight(), block.norm1Bias());
            NDArray afterAttention = x.add(attention(block, y, rows));
            NDArray z = TorchOps.layerNorm(afterAttention, block.channels(), block.norm2Weight(), block.norm2Bias());
            z = LinearForward.apply(block.fc2(), Activation.gelu(LinearForward.apply(block.fc1(), z, rows)), rows);
            NDArray out = afterAttention.add(z);
            out.attach(owner);
            return out;
        }
    }

    private static NDArray attention(SwinBlock block, NDArray y, RowTasks rows) {
        WindowPlan plan = block.plan();
        int channels = block.channels();
        int heads = block.heads();
        NDArray attentionBias = block.attentionBias();
        long n = y.getShape().get(0);
        int tokens = plan.tokens();
        int windows = plan.windows();
        long batchWindows = n * windows;
        int headDim = channels / heads;
        NDArray flat = y.reshape(n, (long) block.height() * block.width(), channels);
        if (plan.padded()) {
            flat = NDArrays.concat(new NDList(flat, y.getManager().zeros(new Shape(n, 1, channels))), 1);
        }
        NDArray windowed = TorchOps.takeAxis1(flat, block.gather()).reshape(batchWindows, tokens, channels);
        NDArray qkvOut = LinearForward.apply(block.qkv(), windowed, rows)
                .reshape(batchWindows, tokens, 3, heads, headDim)
                .transpose(2, 0, 3, 1, 4);
        NDArray q = qkvOut.get(0).mul((float) Math.pow(headDim, -0.5));
        NDArray k = qkvOut.get(1);
        NDArray v = qkvOut.get(2);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
        if (plan.shifted()) {
            scores = scores.reshape(n, windows, heads, tokens, tokens).add(attentionBias)
                    .reshape(batchWindows, heads, tokens, tokens);
        } else {
            scores = scores.add(attentionBias);
        }
        NDArray context = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3)
                .reshape(batchWindows, tokens, channels);
        NDArray out = LinearForward.apply(block.proj(), context, rows).reshape(n, batchWindows / n * tokens, channels);
        return TorchOps.takeAxis1(out, block.scatter()).reshape(n, block.height(), block.width(), channels);
    }
}
