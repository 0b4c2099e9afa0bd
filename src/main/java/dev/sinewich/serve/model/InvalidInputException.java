package dev.sinewich.serve.model;

/**
 * A request the model cannot run: an unknown task or output, or images of an impossible shape.
 * The message is meant for the caller.
 */
public class InvalidInputException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong, for the caller
     */
    public InvalidInputException(String message) {
        super(message);
    }
}
