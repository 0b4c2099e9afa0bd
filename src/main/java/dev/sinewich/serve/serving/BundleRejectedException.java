package dev.sinewich.serve.serving;

/**
 * Start-up refused the configured bundle. The message names the bundle and its problem, which is
 * all an operator needs; the exception carries no stack trace, so that a failed start-up logs the
 * problem, not pages of frames of where the validator noticed it.
 */
public class BundleRejectedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the bundle and its problem
     */
    public BundleRejectedException(String message) {
        super(message, null, false, false);
    }
}
