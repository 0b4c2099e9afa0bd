package dev.sinewich.serve.serving;

/** No model is loaded right now (before start-up finished, or after an unload); retry later. */
public class ModelUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is missing
     */
    public ModelUnavailableException(String message) {
        super(message);
    }
}
