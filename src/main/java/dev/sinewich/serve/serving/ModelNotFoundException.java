package dev.sinewich.serve.serving;

/** A request named a model this server does not serve. */
public class ModelNotFoundException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which model was asked for and which are served
     */
    public ModelNotFoundException(String message) {
        super(message);
    }
}
