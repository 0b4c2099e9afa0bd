package dev.sinewich.serve.model;

import dev.sinewich.serve.bundle.TaskKind;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Which of a task kind's outputs (SPEC §4.8) a request gets, the same whichever engine makes them.
 * Stateless and thread-safe.
 */
final class OutputSelection {

    private OutputSelection() {}

    /**
     * Picks a task's outputs from a request's output names: the kind's outputs that are named, or
     * its default output when none is.
     *
     * @param kind the task kind
     * @param requested the output names of the request (any task's)
     * @return the outputs to make
     */
    static Set<String> resolve(TaskKind kind, Set<String> requested) {
        Set<String> mine = new LinkedHashSet<>();
        for (String name : kind.outputNames()) {
            if (requested.contains(name)) {
                mine.add(name);
            }
        }
        if (mine.isEmpty()) {
            mine.add(kind.outputNames().get(0));
        }
        return mine;
    }
}
