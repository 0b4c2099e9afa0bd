package dev.sinewich.serve.bundle;

import java.util.List;
import java.util.Locale;

/** The kinds of dense prediction a task can have, with their output tensors (SPEC §4.8). */
public enum TaskKind {
    /** Per-pixel class labels, and optionally class probabilities. */
    SEGMENTATION(List.of("labels", "probabilities")),
    /** Per-pixel metric depth. */
    DEPTH(List.of("depth")),
    /** Per-pixel unit surface normals. */
    NORMALS(List.of("normals")),
    /** Per-pixel saliency probability. */
    SALIENCY(List.of("saliency")),
    /** Per-pixel edge probability. */
    EDGES(List.of("edges"));

    private final List<String> outputNames;

    TaskKind(List<String> outputNames) {
        this.outputNames = outputNames;
    }

    /**
     * Returns the name used in {@code sinewich.json}.
     *
     * @return the lower-case kind name
     */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns the names of the output tensors this kind can produce, the default one first.
     *
     * @return the output names
     */
    public List<String> outputNames() {
        return outputNames;
    }

    /**
     * Returns the required number of head outputs, or -1 when any count of at least 2 is allowed.
     *
     * @return the fixed output count, or -1 for segmentation
     */
    public int fixedOutputs() {
        switch (this) {
            case SEGMENTATION:
                return -1;
            case NORMALS:
                return 3;
            default:
                return 1;
        }
    }

    /**
     * Looks a kind up by its JSON name.
     *
     * @param name the name as written in {@code sinewich.json}
     * @return the kind, or {@code null} when unknown
     */
    public static TaskKind fromJson(String name) {
        for (TaskKind kind : values()) {
            if (kind.jsonName().equals(name)) {
                return kind;
            }
        }
        return null;
    }
}
