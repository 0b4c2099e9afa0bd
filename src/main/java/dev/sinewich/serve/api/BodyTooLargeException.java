package dev.sinewich.serve.api;

/**
 * A request body over the HTTP server's size limit ({@code quarkus.http.limits.max-body-size}).
 * The message gives the size sent, when known, and the limit; {@link Failure} answers it with 413.
 */
public class BodyTooLargeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the size and the limit, for the caller
     */
    public BodyTooLargeException(String message) {
        super(message);
    }
}
