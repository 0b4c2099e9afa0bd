package dev.sinewich.serve.bundle;

import java.nio.file.Path;
import java.util.Map;

/**
 * A task added to a running model: one safetensors file whose {@code __metadata__} has
 * {@code format = sinewich-task/v1} and {@code task} = the task's entry as written in
 * {@code sinewich.json}'s {@code tasks}, and whose tensors are exactly the task's frequencies
 * ({@code tasks.{t}.omega}, or a Clock Net token per stage when the model has a Clock Net) and its
 * head ({@code heads.{t}.*}), with the shapes the model's configuration gives them. Validated like a
 * bundle. Not thread-safe; close it after loading.
 */
public final class TaskFile implements TensorSource, AutoCloseable {

    /** The {@code __metadata__.format} value of a task file. */
    public static final String FORMAT = "sinewich-task/v1";

    private final SafetensorsFile file;
    private final SinewichConfig.Task task;
    private final boolean explicitOmega;

    private TaskFile(SafetensorsFile file, SinewichConfig.Task task, boolean explicitOmega) {
        this.file = file;
        this.task = task;
        this.explicitOmega = explicitOmega;
    }

    /**
     * Opens and validates a task file against a model.
     *
     * @param path the file
     * @param config the running model's configuration
     * @param hasClockNet whether the model has Clock Net weights (needed for a task given by tokens)
     * @return the task file
     * @throws BundleException naming the problem
     */
    public static TaskFile open(Path path, SinewichConfig config, boolean hasClockNet) {
        String name = String.valueOf(path.getFileName());
        SafetensorsFile file = SafetensorsFile.open(path, name);
        try {
            Map<String, String> meta = file.metadata();
            if (!FORMAT.equals(meta.get("format"))) {
                throw new BundleException(name + ": __metadata__.format: expected \"" + FORMAT + "\", found "
                        + (meta.containsKey("format") ? '"' + meta.get("format") + '"' : "nothing"));
            }
            if (!meta.containsKey("task")) {
                throw new BundleException(name + ": __metadata__.task: expected the task's JSON entry, found nothing");
            }
            SinewichConfig.Task task = ConfigParser.parseTask(meta.get("task"), name + ": __metadata__.task");
            boolean explicit = file.tensors().containsKey(TensorCatalog.omegaName(task.name()));
            if (!explicit && !hasClockNet) {
                throw new BundleException(name + ": tensor " + TensorCatalog.omegaName(task.name())
                        + " is missing: the model has no Clock Net, so a task needs explicit frequencies");
            }
            Map<String, long[]> required = TensorCatalog.taskTensors(config, task, explicit);
            TensorCatalog.checkRequired(file, name, required);
            for (String tensor : file.tensors().keySet()) {
                if (!required.containsKey(tensor)) {
                    throw new BundleException(name + ": tensor " + tensor + " is not used by task '" + task.name()
                            + "' (unused tensors are an error)");
                }
            }
            return new TaskFile(file, task, explicit);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * Returns the task's configuration.
     *
     * @return the task
     */
    public SinewichConfig.Task task() {
        return task;
    }

    @Override
    public boolean hasExplicitOmega(String taskName) {
        return explicitOmega && task.name().equals(taskName);
    }

    @Override
    public float[] floats(String name) {
        return file.readFloats(name);
    }

    @Override
    public long[] shape(String name) {
        return file.shape(name);
    }

    @Override
    public void close() {
        file.close();
    }
}
