package dev.sinewich.serve.api.oip;

import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TaskKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Open Inference Protocol model metadata (SPEC §5): the {@code image} input, the union of the
 * tasks' outputs, and the tasks in {@code parameters}. Immutable.
 *
 * @param name the model name
 * @param versions the served versions
 * @param platform the serving platform
 * @param inputs input tensor metadata
 * @param outputs output tensor metadata
 * @param parameters extra model facts: {@code tasks}
 */
public record ModelMetadata(String name, List<String> versions, String platform, List<TensorMetadata> inputs,
        List<TensorMetadata> outputs, Map<String, Object> parameters) {

    /**
     * One tensor's metadata; −1 marks a variable dimension.
     *
     * @param name the tensor name
     * @param datatype the OIP datatype
     * @param shape the dimensions
     */
    public record TensorMetadata(String name, String datatype, List<Long> shape) {}

    /**
     * Describes a model.
     *
     * @param config the model configuration
     * @param served the tasks served now (the bundle's, plus or minus run-time changes)
     * @param engine what runs the network: {@code onnxruntime} or {@code pytorch}
     * @return its metadata
     */
    public static ModelMetadata of(SinewichConfig config, List<SinewichConfig.Task> served, String engine) {
        List<TensorMetadata> outputs = new ArrayList<>();
        Map<String, TensorMetadata> byName = new LinkedHashMap<>();
        for (SinewichConfig.Task task : served) {
            for (String out : task.kind().outputNames()) {
                byName.putIfAbsent(out, output(out, task.kind()));
            }
        }
        outputs.addAll(byName.values());
        List<String> tasks = served.stream().map(SinewichConfig.Task::name).toList();
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("tasks", tasks);
        parameters.put("input_height", config.input().height());
        parameters.put("input_width", config.input().width());
        parameters.put("engine", engine);
        return new ModelMetadata(config.name(), List.of(config.version()), "sinewich", List.of(
                new TensorMetadata(OipRequests.IMAGE, "FP32", List.of(-1L, 3L, -1L, -1L))), outputs, parameters);
    }

    private static TensorMetadata output(String name, TaskKind kind) {
        if (name.equals("labels")) {
            return new TensorMetadata(name, "INT32", List.of(-1L, -1L, -1L));
        }
        if (name.equals("probabilities") || kind == TaskKind.NORMALS) {
            return new TensorMetadata(name, "FP32", List.of(-1L, -1L, -1L, -1L));
        }
        return new TensorMetadata(name, "FP32", List.of(-1L, -1L, -1L));
    }
}
