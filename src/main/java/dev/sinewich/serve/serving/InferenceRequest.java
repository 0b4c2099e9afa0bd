package dev.sinewich.serve.serving;

import dev.sinewich.serve.model.ForwardItem;
import java.time.Duration;
import java.util.Objects;

/**
 * A request as the scheduler sees it, whatever protocol it came by.
 *
 * @param model the model name the caller addressed
 * @param item the images, tasks and wanted outputs
 * @param timeout how long the caller will wait from acceptance, or {@code null} for the default
 * @param lease the request's share of the memory budget: its images are reserved already, the
 *     scheduler adds its outputs; the caller closes it once the answer is sent
 */
public record InferenceRequest(String model, ForwardItem item, Duration timeout, TensorBudget.Lease lease) {

    /** Checks the lease. */
    public InferenceRequest {
        Objects.requireNonNull(lease, "lease");
    }
}
