package dev.sinewich.serve.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * What runs the network for a pass: backbone, decoder and heads, from the stacked normalised
 * images to each task segment's logits. The model around it owns everything engine-neutral (tasks,
 * kernel policy, batch layout, input resizing, per-kind outputs), so the scheduler and the APIs
 * never know which engine ran a pass. Implementations are thread-safe.
 */
interface ForwardEngine extends AutoCloseable {

    /**
     * Returns the engine's name, as in {@code sinewich.model.engine}.
     *
     * @return {@code pytorch} or {@code onnxruntime}
     */
    String name();

    /**
     * Runs one pass.
     *
     * @param input (images, 3, H, W) normalised model-size images, row-major
     * @param images the number of images
     * @param rows the task of each row, in contiguous segments
     * @param expansion each row's image index, or {@code null} when the rows are the images
     * @param scope the pass's manager: it owns the results
     * @return for each segment, its (rows, h0, w0, K) logits, in segment order
     */
    List<NDArray> logits(float[] input, int images, RowTasks rows, long[] expansion, NDManager scope);

    /**
     * Returns the bytes the engine keeps for the network beyond the resident weights that the
     * model reports (0 when it runs on them directly).
     *
     * @return the bytes
     */
    long extraBytes();

    /** Frees what the engine holds. */
    @Override
    void close();
}
