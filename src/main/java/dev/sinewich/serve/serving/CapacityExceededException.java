package dev.sinewich.serve.serving;

/** The server is at capacity: the request was refused before any work was done and may be retried. */
public class CapacityExceededException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is full, for the caller
     */
    public CapacityExceededException(String message) {
        super(message);
    }
}
