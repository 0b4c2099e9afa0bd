package dev.sinewich.serve.serving;

/** An accepted request did not finish within its deadline. */
public class DeadlineExceededException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message how long the request waited
     */
    public DeadlineExceededException(String message) {
        super(message);
    }
}
