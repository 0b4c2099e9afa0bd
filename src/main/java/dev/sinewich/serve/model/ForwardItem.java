package dev.sinewich.serve.model;

import java.util.List;
import java.util.Set;

/**
 * One request's share of a forward pass: its images, the tasks to run on every image, and the
 * output names it wants. Several items, of any tasks and image sizes, run in one pass.
 *
 * @param images the images (one size per item)
 * @param tasks the task names, at least one, each once
 * @param outputs wanted output names; for each task, the names that belong to its kind are
 *     produced, and a task none of whose outputs is named gives its default outputs
 */
public record ForwardItem(ImageBatch images, List<String> tasks, Set<String> outputs) {

    /**
     * Validates and copies the lists.
     *
     * @throws InvalidInputException when no task, or a task twice, is named
     */
    public ForwardItem {
        if (tasks == null || tasks.isEmpty()) {
            throw new InvalidInputException("at least one task must be named");
        }
        if (Set.copyOf(tasks).size() != tasks.size()) {
            throw new InvalidInputException("each task may be named once, found " + tasks);
        }
        tasks = List.copyOf(tasks);
        outputs = outputs == null ? Set.of() : Set.copyOf(outputs);
    }

    /**
     * A single-task item.
     *
     * @param images the images
     * @param task the task name
     * @param outputs wanted output names (empty: the defaults)
     * @return the item
     */
    public static ForwardItem of(ImageBatch images, String task, Set<String> outputs) {
        return new ForwardItem(images, List.of(task), outputs);
    }
}
