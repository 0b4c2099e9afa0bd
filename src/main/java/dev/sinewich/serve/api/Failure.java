package dev.sinewich.serve.api;

import dev.sinewich.serve.bundle.BundleException;
import dev.sinewich.serve.imaging.ImageTooLargeException;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.model.ModelClosedException;
import dev.sinewich.serve.serving.CapacityExceededException;
import dev.sinewich.serve.serving.DeadlineExceededException;
import dev.sinewich.serve.serving.ModelNotFoundException;
import dev.sinewich.serve.serving.ModelRepository;
import dev.sinewich.serve.serving.ModelUnavailableException;
import dev.sinewich.serve.serving.RequestTooLargeException;
import io.grpc.Status;
import io.vertx.core.http.HttpClosedException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that decides how a failure reaches a caller: its HTTP status, its gRPC code, the
 * message (never a stack trace) and a bounded reason label for metrics. Immutable.
 *
 * @param httpStatus the HTTP status
 * @param grpcCode the gRPC status code
 * @param message the caller-facing message
 * @param reason a short label: invalid_input, unsupported_media_type, too_large, read_timeout,
 *     forbidden, not_found, capacity, unavailable, deadline, cancelled, internal
 * @param retryable whether the caller should retry later (adds Retry-After)
 */
public record Failure(int httpStatus, Status.Code grpcCode, String message, String reason, boolean retryable) {

    /** The longest caller text quoted whole ('…' spans); longer quotes keep their start. */
    static final int MAX_QUOTE = 120;

    /** The longest message sent; a gRPC status and an error body stay small whatever was sent. */
    static final int MAX_MESSAGE = 1000;

    private static final Pattern QUOTE = Pattern.compile("'([^']{" + (MAX_QUOTE + 1) + ",})'");

    /**
     * Keeps the message brief: caller text quoted in it is cut to {@link #MAX_QUOTE} characters,
     * and the whole to {@link #MAX_MESSAGE}, each cut saying how much was left out.
     */
    public Failure {
        message = brief(message);
    }

    /**
     * Cuts caller text quoted in a message ('…') to its first {@link #MAX_QUOTE} characters and the
     * message to {@link #MAX_MESSAGE}.
     *
     * @param message a message
     * @return the brief message
     */
    static String brief(String message) {
        if (message == null) {
            return null;
        }
        String quoted = QUOTE.matcher(message).replaceAll(m -> Matcher.quoteReplacement("'"
                + m.group(1).substring(0, MAX_QUOTE) + "…' (" + (m.group(1).length() - MAX_QUOTE)
                + " more characters)"));
        if (quoted.length() <= MAX_MESSAGE) {
            return quoted;
        }
        return quoted.substring(0, MAX_MESSAGE) + "… (" + (quoted.length() - MAX_MESSAGE) + " more characters)";
    }

    /**
     * Classifies a failure.
     *
     * @param failure what went wrong, possibly wrapped by a future
     * @return how to report it
     */
    public static Failure of(Throwable failure) {
        Throwable e = unwrap(failure);
        if (e instanceof ImageTooLargeException || e instanceof RequestTooLargeException) {
            return new Failure(413, Status.Code.INVALID_ARGUMENT, e.getMessage(), "too_large", false);
        }
        if (e instanceof BodyTooLargeException) {
            return new Failure(413, Status.Code.RESOURCE_EXHAUSTED, e.getMessage(), "too_large", false);
        }
        if (e instanceof BodyReadTimeoutException) {
            return new Failure(408, Status.Code.DEADLINE_EXCEEDED, e.getMessage(), "read_timeout", false);
        }
        if (e instanceof UnsupportedMediaTypeException) {
            return new Failure(415, Status.Code.INVALID_ARGUMENT, e.getMessage(), "unsupported_media_type", false);
        }
        if (e instanceof ModelRepository.LoadingDisabledException) {
            return new Failure(403, Status.Code.PERMISSION_DENIED, e.getMessage(), "forbidden", false);
        }
        if (e instanceof InvalidInputException || e instanceof BundleException
                || e instanceof ModelRepository.RepositoryRefusalException
                || e instanceof ModelRepository.AmbiguousEntryException) {
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
        if (e instanceof HttpClosedException || e instanceof ClosedChannelException) {
            return new Failure(499, Status.Code.CANCELLED, "the client closed the connection", "cancelled", false);
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
