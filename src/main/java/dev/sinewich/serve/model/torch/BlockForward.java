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
     * Runs the block. Every intermediate is closed as soon as the next step has read it, and what
     * is left of the attention half is gone before the MLP half starts, so that a block's peak
     * memory is the larger half's working set, not the sum of both.
     *
     * @param block the block
     * @param x (N, h, w, C) activations
     * @param rows the tasks of the pass's rows
     * @return (N, h, w, C) activations, owned by x's manager
     */
    static NDArray forward(SwinBlock block, NDArray x, RowTasks rows) {
        NDManager owner = x.getManager();
        NDArray afterAttention;
        try (NDManager half = owner.newSubManager()) {
            x.tempAttach(half);
            NDArray y = TorchOps.layerNorm(x, block.channels(), block.norm1Weight(), block.norm1Bias());
            NDArray attended = attention(block, y, rows);
            afterAttention = x.add(attended);
            afterAttention.attach(owner);
        }
        try (NDManager half = owner.newSubManager()) {
            afterAttention.tempAttach(half);
            NDArray z = TorchOps.layerNorm(afterAttention, block.channels(), block.norm2Weight(), block.norm2Bias());
            NDArray hidden = closing(z, LinearForward.apply(block.fc1(), z, rows));
            NDArray activated = closing(hidden, Activation.gelu(hidden));
            NDArray mlp = closing(activated, LinearForward.apply(block.fc2(), activated, rows));
            NDArray out = afterAttention.add(mlp);
            out.attach(owner);
            return out;
        } finally {
            afterAttention.close();
        }
    }

    /** Closes arrays (or views) that nothing reads any more. */
    private static void close(NDArray... arrays) {
        for (NDArray array : arrays) {
            array.close();
        }
    }

    /** Returns {@code result} after closing {@code used}, which nothing reads any more. */
    private static NDArray closing(NDArray used, NDArray result) {
        used.close();
        return result;
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
        // a view shares its base's storage, which is freed once every handle over it is closed
        NDArray flat = y.reshape(n, (long) block.height() * block.width(), channels);
        if (plan.padded()) {
            NDArray zeros = y.getManager().zeros(new Shape(n, 1, channels));
            NDArray joined = NDArrays.concat(new NDList(flat, zeros), 1);
            close(flat, zeros);
            flat = joined;
        }
        NDArray gathered = TorchOps.takeAxis1(flat, block.gather());
        NDArray windowed = gathered.reshape(batchWindows, tokens, channels);
        close(y, flat, gathered);
        NDArray qkv = closing(windowed, LinearForward.apply(block.qkv(), windowed, rows));
        NDArray split = qkv.reshape(batchWindows, tokens, 3, heads, headDim);
        NDArray qkvOut = split.transpose(2, 0, 3, 1, 4);
        NDArray q0 = qkvOut.get(0);
        NDArray q = q0.mul((float) Math.pow(headDim, -0.5));
        NDArray k = qkvOut.get(1);
        NDArray kT = k.transpose(0, 1, 3, 2);
        NDArray scores = q.matMul(kT);
        close(q0, q, k, kT);
        if (plan.shifted()) {
            NDArray perWindow = scores.reshape(n, windows, heads, tokens, tokens);
            NDArray biased = perWindow.add(attentionBias);
            close(scores, perWindow);
            scores = closing(biased, biased.reshape(batchWindows, heads, tokens, tokens));
        } else {
            scores = closing(scores, scores.add(attentionBias));
        }
        NDArray weights = closing(scores, scores.softmax(-1));
        NDArray v = qkvOut.get(2);
        NDArray mixed = weights.matMul(v);
        close(weights, v, qkvOut, split, qkv);
        NDArray perToken = mixed.transpose(0, 2, 1, 3);
        NDArray context = perToken.reshape(batchWindows, tokens, channels);
        close(mixed, perToken);
        NDArray projected = closing(context, LinearForward.apply(block.proj(), context, rows));
        NDArray out = closing(projected, projected.reshape(n, batchWindows / n * tokens, channels));
        NDArray back = closing(out, TorchOps.takeAxis1(out, block.scatter()));
        return closing(back, back.reshape(n, block.height(), block.width(), channels));
    }
}
