package dev.sinewich.serve.api.grpc;

import io.grpc.Deadline;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Combines a gRPC call's deadline with a request's own: the call's deadline can only make a
 * request's deadline sooner, never later than it would be without one, so a long-lived call (a
 * video stream with an hour's deadline) does not ask for more than the server allows. Stateless
 * and thread-safe.
 */
final class CallDeadlines {

    private CallDeadlines() {}

    /**
     * Returns the deadline a request gets.
     *
     * @param own the request's own deadline, or {@code null} for the server default
     * @param serverDefault the server's default deadline
     * @param call the call's gRPC deadline, or {@code null} when it has none
     * @return the request's own deadline (or {@code null}) unless the call's ends sooner; then the
     *     time left on the call, at least 1 ms
     */
    static Duration sooner(Duration own, Duration serverDefault, Deadline call) {
        if (call == null) {
            return own;
        }
        Duration left = Duration.ofMillis(Math.max(1, call.timeRemaining(TimeUnit.MILLISECONDS)));
        return left.compareTo(own == null ? serverDefault : own) < 0 ? left : own;
    }
}
