package dev.sinewich.serve.api;

/**
 * A client that stopped sending its request body: no byte arrived for the configured read timeout
 * ({@code sinewich.limits.body-read-timeout}). {@link Failure} answers it with 408.
 */
public class BodyReadTimeoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was received and the limit, for the caller
     */
    public BodyReadTimeoutException(String message) {
        super(message);
    }
}
