package dev.sinewich.serve.serving;

/**
 * One line of the model repository's index.
 *
 * @param name the entry's model name
 * @param state its state
 * @param reason why its last load failed, or {@code null}
 */
public record RepositoryModel(String name, State state, String reason) {

    /** The states the Open Inference Protocol's repository extension names. */
    public enum State {
        /** Served now. */
        READY,
        /** Being loaded. */
        LOADING,
        /** Not served. */
        UNAVAILABLE
    }
}
