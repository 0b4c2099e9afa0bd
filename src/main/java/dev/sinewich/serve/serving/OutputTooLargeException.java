package dev.sinewich.serve.serving;

/**
 * A request whose outputs would hold more values than one request may produce
 * ({@code sinewich.limits.max-output-values}), refused before it runs. The message gives both
 * figures and what to change.
 */
public class OutputTooLargeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the figures, for the caller
     */
    public OutputTooLargeException(String message) {
        super(message);
    }
}
