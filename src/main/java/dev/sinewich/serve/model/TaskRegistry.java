package dev.sinewich.serve.model;

import ai.djl.Device;
import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TaskFile;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tasks a model serves now: the bundle's, plus any added at run time, minus any removed.
 * Changes replace an immutable map, so a pass that has looked up its tasks is unaffected by a
 * change that follows. Thread-safe.
 */
final class TaskRegistry {

    private final ClockNet clock;
    private final TaskKernels kernels;
    private final Device device;
    private volatile Map<String, TaskRuntime> tasks;

    private TaskRegistry(ClockNet clock, TaskKernels kernels, Device device, Map<String, TaskRuntime> tasks) {
        this.clock = clock;
        this.kernels = kernels;
        this.device = device;
        this.tasks = Collections.unmodifiableMap(tasks);
    }

    /**
     * Loads a bundle's tasks.
     *
     * @param bundle the bundle
     * @param kernels the shared task-kernel maker
     * @param device where heads live
     * @return the registry
     */
    static TaskRegistry load(Bundle bundle, TaskKernels kernels, Device device) {
        ClockNet clock = ClockNet.load(bundle);
        Map<String, TaskRuntime> tasks = new LinkedHashMap<>();
        try {
            for (SinewichConfig.Task task : bundle.config().tasks()) {
                tasks.put(task.name(), TaskRuntime.load(bundle, task, clock.frequencies(bundle, task.name()), kernels,
                        device));
            }
        } catch (RuntimeException e) {
            tasks.values().forEach(TaskRuntime::retire);
            throw e;
        }
        return new TaskRegistry(clock, kernels, device, tasks);
    }

    /**
     * Looks a task up.
     *
     * @param name the task name
     * @return the task
     * @throws InvalidInputException naming the served tasks when unknown
     */
    TaskRuntime get(String name) {
        Map<String, TaskRuntime> current = tasks;
        TaskRuntime runtime = name == null ? null : current.get(name);
        if (runtime == null) {
            throw new InvalidInputException("unknown task '" + name + "'; this model serves "
                    + String.join(", ", current.keySet()));
        }
        return runtime;
    }

    /** Returns the task configurations, in order. */
    List<SinewichConfig.Task> specs() {
        return tasks.values().stream().map(TaskRuntime::spec).toList();
    }

    /** Returns the tasks now, by name. */
    Map<String, TaskRuntime> snapshot() {
        return tasks;
    }

    /** Tells whether tasks given by Clock Net tokens can be added. */
    boolean hasClockNet() {
        return clock.present();
    }

    /**
     * Checks that an item names only served tasks and their outputs.
     *
     * @param item the item
     * @throws InvalidInputException naming the unknown task or output
     */
    void validate(ForwardItem item) {
        for (String t : item.tasks()) {
            get(t);
        }
        for (String name : item.outputs()) {
            boolean known = item.tasks().stream()
                    .anyMatch(t -> get(t).spec().kind().outputNames().contains(name));
            if (!known) {
                throw new InvalidInputException("no output '" + name + "' for task " + String.join(", ", item.tasks())
                        + "; " + String.join("; ", item.tasks().stream().map(t -> t + " gives " + String.join(", ",
                                get(t).spec().kind().outputNames())).toList()));
            }
        }
    }

    /**
     * Counts the values the item's outputs will hold: for each task and output it makes (the
     * requested ones of its kind, else its default), channels · N · h · w at the size received
     * ({@code labels} has one channel; every other output has the head's channels).
     *
     * @param item a validated item
     * @return the number of output values
     */
    long outputValues(ForwardItem item) {
        long perImage = (long) item.images().height() * item.images().width();
        long total = 0;
        for (String t : item.tasks()) {
            SinewichConfig.Task spec = get(t).spec();
            for (String name : OutputSelection.resolve(spec.kind(), item.outputs())) {
                long channels = "labels".equals(name) ? 1 : spec.outputs();
                total = saturatingAdd(total, saturatingMultiply(channels * item.images().count(), perImage));
            }
        }
        return total;
    }

    private static long saturatingMultiply(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static long saturatingAdd(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Adds a task.
     *
     * @param file the validated task file
     * @throws InvalidInputException when the name is taken
     */
    synchronized void add(TaskFile file) {
        SinewichConfig.Task spec = file.task();
        if (tasks.containsKey(spec.name())) {
            throw new InvalidInputException("task '" + spec.name() + "' is already served; remove it first");
        }
        TaskRuntime runtime = TaskRuntime.load(file, spec, clock.frequencies(file, spec.name()), kernels, device);
        Map<String, TaskRuntime> next = new LinkedHashMap<>(tasks);
        next.put(spec.name(), runtime);
        tasks = Collections.unmodifiableMap(next);
    }

    /**
     * Removes a task; it is freed when the last pass using it ends.
     *
     * @param name the task name
     * @throws InvalidInputException for an unknown task or the last one
     */
    synchronized void remove(String name) {
        TaskRuntime runtime = get(name);
        if (tasks.size() == 1) {
            throw new InvalidInputException("task '" + name + "' is the model's last task and cannot be removed");
        }
        Map<String, TaskRuntime> next = new LinkedHashMap<>(tasks);
        next.remove(name);
        tasks = Collections.unmodifiableMap(next);
        runtime.retire();
    }

    /** Frees every task once its passes end. */
    synchronized void close() {
        tasks.values().forEach(TaskRuntime::retire);
    }
}
