package dev.sinewich.serve.api.grpc;

import ai.djl.Device;
import dev.sinewich.serve.api.grpc.v1.ModelInfo;
import dev.sinewich.serve.api.grpc.v1.TaskInfo;
import dev.sinewich.serve.api.grpc.v1.TaskKind;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.SinewichModel;

/** Describes the served model as {@code sinewich.v1.ModelInfo}. Stateless and thread-safe. */
final class ModelInfoMapper {

    private ModelInfoMapper() {}

    /**
     * Describes a model and the tasks it serves now.
     *
     * @param model the served model
     * @return its description
     */
    static ModelInfo info(SinewichModel model) {
        SinewichConfig config = model.config();
        ModelInfo.Builder b = ModelInfo.newBuilder().setName(config.name()).setVersion(config.version())
                .setDevice(device(model.device())).setInputHeight(config.input().height())
                .setInputWidth(config.input().width()).setKernelPolicy(model.kernelStats().policy())
                .setEngine(model.engine());
        for (SinewichConfig.Task task : model.tasks()) {
            TaskInfo.Builder t = TaskInfo.newBuilder().setName(task.name()).setKind(kind(task.kind()))
                    .addAllOutputs(task.kind().outputNames()).setChannels(task.outputs());
            if (task.labels() != null) {
                t.addAllLabels(task.labels());
            }
            if (task.unit() != null) {
                t.setUnit(task.unit());
            }
            for (float omega : model.frequencies(task.name())) {
                t.addOmega(omega);
            }
            b.addTasks(t);
        }
        return b.build();
    }

    /**
     * Names a task kind on the wire.
     *
     * @param kind the bundle's task kind
     * @return the protobuf enum value
     */
    static TaskKind kind(dev.sinewich.serve.bundle.TaskKind kind) {
        switch (kind) {
            case SEGMENTATION:
                return TaskKind.TASK_KIND_SEGMENTATION;
            case DEPTH:
                return TaskKind.TASK_KIND_DEPTH;
            case NORMALS:
                return TaskKind.TASK_KIND_NORMALS;
            case SALIENCY:
                return TaskKind.TASK_KIND_SALIENCY;
            case EDGES:
                return TaskKind.TASK_KIND_EDGES;
            default:
                return TaskKind.TASK_KIND_UNSPECIFIED;
        }
    }

    private static String device(Device device) {
        return device.isGpu() ? "gpu:" + device.getDeviceId() : device.getDeviceType();
    }
}
