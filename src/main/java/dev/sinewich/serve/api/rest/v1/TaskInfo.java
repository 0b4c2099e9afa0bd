package dev.sinewich.serve.api.rest.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TaskKind;
import dev.sinewich.serve.model.SinewichModel;
import java.util.List;

/**
 * One served task as {@code GET /v1/models/{model}/tasks} describes it. Immutable.
 *
 * @param name the task name
 * @param kind segmentation, depth, normals, saliency or edges
 * @param outputs the head's output channels ({@code outputs} in the bundle's config)
 * @param labels the class names, segmentation only
 * @param unit the depth unit, depth only
 * @param omega the task's frequency ω per stage
 * @param outputNames the names of the output tensors the kind produces
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskInfo(String name, String kind, int outputs, List<String> labels, String unit, float[] omega,
        @JsonProperty("output_names") List<String> outputNames) {

    /**
     * Describes a task of a model.
     *
     * @param model the model
     * @param task the task's configuration
     * @return its description
     */
    public static TaskInfo of(SinewichModel model, SinewichConfig.Task task) {
        List<String> labels = task.kind() == TaskKind.SEGMENTATION ? task.labels() : null;
        return new TaskInfo(task.name(), task.kind().jsonName(), task.outputs(), labels, task.unit(),
                model.frequencies(task.name()), task.kind().outputNames());
    }
}
