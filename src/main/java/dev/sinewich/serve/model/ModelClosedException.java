package dev.sinewich.serve.model;

/** The model was closed (unloaded or replaced) before a pass could start on it. */
public class ModelClosedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened
     */
    public ModelClosedException(String message) {
        super(message);
    }
}
