package dev.sinewich.serve.model.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.core.Linear;
import dev.sinewich.serve.model.RowTasks;
import dev.sinewich.serve.model.swin.BlockLinear;
import java.util.List;

/**
 * Applies a block linear on a pass's NDArrays, an adapted one with each row segment's task weight
 * from the kernel policy's lease. Stateless and thread-safe.
 */
final class LinearForward {

    private LinearForward() {}

    /**
     * Applies the linear, y = x·W_tᵀ + b, each row group with its own task's weight. The rows of x
     * along axis 0 are image-major (a multiple of the pass's rows), so a task's rows are one slice.
     *
     * @param linear the linear
     * @param x (R·k, …, in) activations; the result and anything made on the way belong to its
     *     manager
     * @param rows the tasks of the pass's rows
     * @return (R·k, …, out) activations
     */
    static NDArray apply(BlockLinear linear, NDArray x, RowTasks rows) {
        if (!linear.adapted()) {
            return Linear.linear(x, linear.baseWeight(), linear.bias()).singletonOrThrow();
        }
        NDManager scope = x.getManager();
        List<RowTasks.Segment> segments = rows.segments();
        if (segments.size() == 1) {
            return Linear.linear(x, segments.get(0).weights().weight(linear, scope), linear.bias()).singletonOrThrow();
        }
        long perRow = x.getShape().get(0) / rows.rowCount();
        NDList parts = new NDList(segments.size());
        for (RowTasks.Segment segment : segments) {
            try (NDArray slice = x.get(new NDIndex("{}:{}", segment.start() * perRow, segment.end() * perRow))) {
                parts.add(Linear.linear(slice, segment.weights().weight(linear, scope), linear.bias())
                        .singletonOrThrow());
            }
        }
        NDArray joined = NDArrays.concat(parts, 0);
        parts.close();
        return joined;
    }
}
