package dev.sinewich.serve.api.rest.v1;

import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.OutputTensor;
import dev.sinewich.serve.serving.InferenceResult;
import java.util.List;

/**
 * A finished {@code predict} call, all that its answer is made from. Immutable.
 *
 * @param config the model's configuration
 * @param tasks the tasks that ran, in the order named
 * @param options the request's options
 * @param height the image's height as received
 * @param width the image's width as received
 * @param result the scheduler's result
 */
public record Prediction(SinewichConfig config, List<SinewichConfig.Task> tasks, PredictOptions options, int height,
        int width,
        InferenceResult result) {

    /**
     * Returns a task's outputs.
     *
     * @param task the task
     * @return its output tensors, batch first
     */
    public List<OutputTensor> outputs(SinewichConfig.Task task) {
        return result.outputs().get(task.name());
    }

    /**
     * Returns a task's first output: {@code labels} for segmentation, else the kind's only one.
     *
     * @param task the task
     * @return the tensor
     */
    public OutputTensor first(SinewichConfig.Task task) {
        return outputs(task).get(0);
    }
}
