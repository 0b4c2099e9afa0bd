package dev.sinewich.serve.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.imaging.ImageTooLargeException;
import dev.sinewich.serve.metrics.ServerMetrics;
import dev.sinewich.serve.model.InvalidInputException;
import dev.sinewich.serve.serving.CapacityExceededException;
import dev.sinewich.serve.serving.DeadlineExceededException;
import dev.sinewich.serve.serving.ModelNotFoundException;
import dev.sinewich.serve.serving.ModelUnavailableException;
import dev.sinewich.serve.serving.RequestTooLargeException;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * Every reason a failure is labelled with is one of the label values the metrics declare at 0 from
 * start-up, so that no failure series appears only after its first occurrence.
 */
class FailureReasonsTest {

    @Test
    void everyReasonIsDeclared() {
        List<Throwable> failures = List.of(new InvalidInputException("x"), new ImageTooLargeException("x"),
                new RequestTooLargeException("x"), new BodyTooLargeException("x"), new BodyReadTimeoutException("x"),
                new UnsupportedMediaTypeException("x"), new ModelNotFoundException("x"),
                new CapacityExceededException("x"), new ModelUnavailableException("x"),
                new DeadlineExceededException("x"), new CancellationException(), new ClosedChannelException(),
                new IllegalStateException("a fault of the server"));
        for (Throwable failure : failures) {
            String reason = Failure.of(failure).reason();
            assertTrue(ServerMetrics.FAILURE_REASONS.contains(reason), () -> failure.getClass().getSimpleName()
                    + " is labelled '" + reason + "', not declared in ServerMetrics.FAILURE_REASONS");
        }
    }
}
