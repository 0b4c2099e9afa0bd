package dev.sinewich.serve.api;

/**
 * A request body of a media type the endpoint does not read, or one without a
 * {@code Content-Type}. The message names what was sent and what is accepted; {@link Failure}
 * answers it with 415.
 */
public class UnsupportedMediaTypeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the type found and the accepted types, for the caller
     */
    public UnsupportedMediaTypeException(String message) {
        super(message);
    }
}
