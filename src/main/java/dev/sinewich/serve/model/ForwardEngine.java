package dev.sinewich.serve.model;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Set;

/**
 * What runs the network for a pass: backbone, decoder and heads, from the stacked normalised
 * images to each task segment's logits. The model around it owns everything engine-neutral (tasks,
 * kernel policy, batch layout, input resizing, per-kind outputs), so the scheduler and the APIs
 * never know which engine ran a pass. Each engine lives in a package of its own
 * ({@link dev.sinewich.serve.model.torch}, {@link dev.sinewich.serve.model.onnx}) and reads the
 * loaded network ({@link dev.sinewich.serve.model.swin}); {@code ForwardEngines} picks one. Public
 * so that those packages implement it; only the model calls it. Implementations are thread-safe.
 */
public interface ForwardEngine extends AutoCloseable {

    /**
     * Returns the engine's name, as in {@code sinewich.model.engine}.
     *
     * @return {@code pytorch} or {@code onnxruntime}
     */
    String name();

    /**
     * Runs one pass up to the logits of every row.
     *
     * @param input (images, 3, H, W) model-size images in [0, 1], row-major, not normalised (the
     *     engine's first step is (x − mean) / std); read only
     * @param images the number of images
     * @param rows the task of each row, in contiguous segments
     * @param expansion each row's image index, or {@code null} when the rows are the images
     * @param scope the pass's manager: it owns anything native the pass makes
     * @return the pass, from which each request's outputs are made; used on this thread only, and
     *     only until the next pass on it
     */
    Pass run(float[] input, int images, RowTasks rows, long[] expansion, NDManager scope);

    /** One pass's logits, turned into outputs request by request. */
    interface Pass {

        /**
         * Makes the outputs of SPEC §4.8 for some rows of one segment: resize straight to the
         * image as received, then the kind's rule.
         *
         * @param segment the segment's index
         * @param firstRow the first row, counted from the segment's start
         * @param count the number of rows
         * @param height image height as received
         * @param width image width as received
         * @param names the outputs to make, valid for the segment's task kind
         * @return the outputs in the kind's order, batch first
         */
        List<OutputTensor> outputs(int segment, int firstRow, int count, int height, int width, Set<String> names);

        /**
         * Says that a segment's outputs are all made, so that its logits may be freed before the
         * pass ends.
         *
         * @param segment the segment's index
         */
        default void release(int segment) {
        }
    }

    /** Frees what the engine holds. */
    @Override
    void close();
}
