package dev.sinewich.serve.serving;

import dev.sinewich.serve.bundle.SinewichConfig;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A request the server accepted: the model and tasks it was checked against, which the API needs to
 * write its answer, and the result to come.
 *
 * @param config the model's configuration
 * @param tasks the tasks that run, in the request's order
 * @param height the height of the images as received
 * @param width the width of the images as received
 * @param result the outputs once the pass is done; fails with the scheduler's exceptions, and
 *     cancelling it (the caller went away) frees the request's place in the queue
 */
public record Accepted(SinewichConfig config, List<SinewichConfig.Task> tasks, int height, int width,
        CompletableFuture<InferenceResult> result) {}
