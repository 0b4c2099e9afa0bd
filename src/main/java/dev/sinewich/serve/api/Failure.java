package dev.sinewich.serve.api;

import dev.sinewich.serve.bundle.BundleException;
import dev.sinewich.serve.imaging.ImageTooLargeException;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.model.ModelClosedException;
import dev.sinewich.serve.serving.CapacityExceededException;
import dev.sinewich.serve.serving.DeadlineExceededException;
import dev.sinewich.serve.serving.ModelNotFoundException;
import dev.sinewich.serve.serving.ModelUnavailableException;
import io.grpc.Status;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place that decides how a failure reaches a caller: its HTTP status, its gRPC code, the
 * message (never a stack trace) and a bounded reason label for metrics. Immutable.
 *
 * @param httpStatus the HTTP status
 * @param grpcCode the gRPC status code
 * @param message the caller-facing message
 * @param reason a short label: invalid_input, unsupported_media_type, too_large, not_found, capacity,
 *     unavailable, deadline, cancelled, internal
 * @param retryable whether the caller should retry later (adds Retry-After)
 */
public record Failure(int httpStatus, Status.Code grpcCode, String message, String reason, boolean retryable) {

    /**
     * Classifies a failure.
     *
     * @param failure what went wrong, possibly wrapped by a future
     * @return how to report it
     */
    public static Failure of(Throwable failure) {
        Throwable e = unwrap(failure);
        if (e instanceof ImageTooLargeException) {
            return new Failure(413, Status.Code.INVALID_ARGUMENT, e.getMessage(), "too_large", false);
        }
        if (e instanceof BodyTooLargeException) {
            return new Failure(413, Status.Code.RESOURCE_EXHAUSTED, e.getMessage(), "too_large", false);
        }
        if (e instanceof UnsupportedMediaTypeException) {
            return new Failure(415, Status.Code.INVALID_ARGUMENT, e.getMessage(), "unsupported_media_type", false);
        }
        if (e instanceof InvalidInputException || e instanceof BundleException) {
            return new Failure(400, Status.Code.INVALID_ARGUMENT, e.getMessage(), "invalid_input", false);
        }
        if (e instanceof ModelNotFoundException) {
            return new Failure(404, Status.Code.NOT_FOUND, e.getMessage(), "not_found", false);
        }
        if (e instanceof CapacityExceededException) {
            return new Failure(429, Status.Code.RESOURCE_EXHAUSTED, e.getMessage(), "capacity", true);
        }
        if (e instanceof ModelUnavailableException || e instanceof ModelClosedException) {
            return new Failure(503, Status.Code.UNAVAILABLE, e.getMessage(), "unavailable", true);
        }
        if (e instanceof DeadlineExceededException) {
            return new Failure(504, Status.Code.DEADLINE_EXCEEDED, e.getMessage(), "deadline", false);
        }
        if (e instanceof CancellationException) {
            return new Failure(499, Status.Code.CANCELLED, "the request was cancelled", "cancelled", false);
        }
        return new Failure(500, Status.Code.INTERNAL, "internal error; the server log has the details", "internal",
                false);
    }

    /**
     * Tells whether this is a server fault worth logging with its stack trace.
     *
     * @return true for internal errors
     */
    public boolean internal() {
        return grpcCode == Status.Code.INTERNAL;
    }

    private static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
