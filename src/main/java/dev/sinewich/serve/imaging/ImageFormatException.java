package dev.sinewich.serve.imaging;

import dev.sinewich.serve.model.InvalidInputException;

/**
 * An image file the server cannot use: empty, not PNG or JPEG, truncated or corrupt, of an
 * unsupported colour type, or of a different size from the other images of its request. The
 * message is meant for the caller and never holds a stack trace. It is an
 * {@link InvalidInputException}, so front ends that map those to 400 / INVALID_ARGUMENT need no
 * extra case; the subclass {@link ImageTooLargeException} deserves 413.
 */
public class ImageFormatException extends InvalidInputException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong with the file, for the caller
     */
    public ImageFormatException(String message) {
        super(message);
    }
}
