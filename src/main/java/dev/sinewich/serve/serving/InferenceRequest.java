package dev.sinewich.serve.serving;

import dev.sinewich.serve.model.ForwardItem;
import java.time.Duration;

/**
 * A request as the scheduler sees it, whatever protocol it came by.
 *
 * @param model the model name the caller addressed
 * @param item the images, tasks and wanted outputs
 * @param deadline how long the caller will wait from acceptance, or {@code null} for the default
 */
public record InferenceRequest(String model, ForwardItem item, Duration deadline) {}
