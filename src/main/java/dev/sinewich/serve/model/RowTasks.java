package dev.sinewich.serve.model;

import java.util.List;

/**
 * Which task each row of a forward pass runs: rows are grouped so that each task's rows form one
 * contiguous segment, and every adapted linear applies a task's weight to its segment only.
 * Immutable; used by one pass. Public for the engines, which read it; only the model makes it.
 */
public final class RowTasks {

    /**
     * A contiguous run of rows [start, end) that share a task.
     *
     * @param task the task
     * @param weights the pass's lease on the task's weights
     * @param start first row
     * @param end one past the last row
     */
    public record Segment(TaskRuntime task, TaskWeights weights, int start, int end) {}

    private final List<Segment> segments;
    private final int rowCount;

    /**
     * Creates the layout.
     *
     * @param segments contiguous segments covering rows 0 to rowCount
     */
    RowTasks(List<Segment> segments) {
        this.segments = List.copyOf(segments);
        this.rowCount = segments.get(segments.size() - 1).end();
    }

    /**
     * Returns the segments in row order.
     *
     * @return the segments
     */
    public List<Segment> segments() {
        return segments;
    }

    /**
     * Returns the number of rows of the pass (after any multi-task expansion).
     *
     * @return the rows
     */
    public int rowCount() {
        return rowCount;
    }
}
