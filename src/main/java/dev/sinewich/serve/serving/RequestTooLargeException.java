package dev.sinewich.serve.serving;

/**
 * A request that could never be served within the server's limits, refused before it runs: its
 * outputs would hold more values than one request may produce ({@code sinewich.limits.max-output-values}),
 * or its images and outputs together need more memory than all requests in flight may hold
 * ({@code sinewich.limits.max-inflight-tensor-bytes}). Unlike a full server (429), retrying the same
 * request does not help. The message gives the figures and what to change.
 */
public class RequestTooLargeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the figures, for the caller
     */
    public RequestTooLargeException(String message) {
        super(message);
    }
}
