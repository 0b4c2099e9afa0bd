package dev.sinewich.serve.serving;

import dev.sinewich.serve.model.OutputTensor;
import java.util.List;
import java.util.Map;

/**
 * A finished request: its outputs by task, and where its time went.
 *
 * @param outputs the outputs by task name, in the request's task order
 * @param queueSeconds time from acceptance to the start of its pass
 * @param computeSeconds duration of its pass
 * @param batchRows rows (image × task) in the pass it shared
 */
public record InferenceResult(Map<String, List<OutputTensor>> outputs, double queueSeconds, double computeSeconds,
        int batchRows) {}
