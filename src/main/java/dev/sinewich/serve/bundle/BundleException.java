package dev.sinewich.serve.bundle;

/**
 * A model bundle could not be read: it names the file, the key or tensor, and what was expected
 * and found, so that the person who made the bundle can fix it without reading our code.
 */
public class BundleException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a complete, user-facing message.
     *
     * @param message what is wrong, naming the file and the key or tensor
     */
    public BundleException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a complete, user-facing message and its cause.
     *
     * @param message what is wrong, naming the file and the key or tensor
     * @param cause the underlying failure
     */
    public BundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
