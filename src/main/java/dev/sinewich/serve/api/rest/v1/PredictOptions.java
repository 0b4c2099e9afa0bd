package dev.sinewich.serve.api.rest.v1;

import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.InvalidInputException;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A {@code predict} request's checked options: the tasks to run (in the order named), the answer's
 * format, whether JSON carries the data, and the deadline. Immutable.
 *
 * @param tasks the tasks, at least one, each once
 * @param format the answer's format, already checked against the tasks
 * @param includeData whether JSON answers carry the flat output data
 * @param deadline the deadline, or {@code null} for the server's default
 */
public record PredictOptions(List<SinewichConfig.Task> tasks, OutputFormat format, boolean includeData,
        Duration deadline) {

    /** The task parameter value that selects every served task. */
    static final String ALL = "all";

    /** The query parameters of a prediction; any other is a 400, so that a misspelt one is not ignored. */
    static final List<String> PARAMETERS = List.of("task", "tasks", "format", "include", "timeout_ms");

    /**
     * Checks and resolves the query against the tasks served now.
     *
     * @param query the query parameters
     * @param names the names of every query parameter sent
     * @param accept the acceptable media types, most preferred first
     * @param served the tasks the model serves now
     * @return the options
     * @throws InvalidInputException naming what is wrong: an unknown parameter, no task, an unknown task, {@code all}
     *     with other names, an unknown format or include, a format that cannot show the tasks, or
     *     a {@code timeout_ms} that is not an integer
     */
    public static PredictOptions parse(PredictQuery query, Collection<String> names, List<MediaType> accept,
            List<SinewichConfig.Task> served) {
        for (String name : names) {
            if (!PARAMETERS.contains(name)) {
                throw new InvalidInputException("unknown query parameter '" + name + "'; accepted are "
                        + String.join(", ", PARAMETERS));
            }
        }
        List<SinewichConfig.Task> tasks = tasks(names(query), served);
        OutputFormat format = OutputFormat.select(query.format, accept);
        format.check(tasks);
        return new PredictOptions(tasks, format, includeData(query.include), deadline(query.timeoutMs));
    }

    private static List<String> names(PredictQuery query) {
        return Stream.concat(stream(query.task), stream(query.tasks))
                .flatMap(v -> Stream.of(v.split(",")))
                .map(String::trim)
                .filter(v -> !v.isEmpty())
                .toList();
    }

    private static List<SinewichConfig.Task> tasks(List<String> names, List<SinewichConfig.Task> served) {
        String known = served.stream().map(SinewichConfig.Task::name).collect(Collectors.joining(", "));
        if (names.isEmpty()) {
            throw new InvalidInputException("name at least one task with task=NAME (repeatable), tasks=A,B or "
                    + "task=all; this model serves " + known);
        }
        if (names.contains(ALL)) {
            if (names.size() > 1) {
                throw new InvalidInputException("task=all runs every task and cannot be combined with task names, "
                        + "found " + names);
            }
            return served;
        }
        List<SinewichConfig.Task> tasks = new ArrayList<>();
        for (String name : names) {
            SinewichConfig.Task task = served.stream().filter(t -> t.name().equals(name)).findFirst()
                    .orElseThrow(() -> new InvalidInputException("unknown task '" + name + "'; this model serves "
                            + known));
            if (tasks.contains(task)) {
                throw new InvalidInputException("task '" + name + "' is named more than once");
            }
            tasks.add(task);
        }
        return List.copyOf(tasks);
    }

    private static boolean includeData(List<String> include) {
        boolean data = false;
        for (String value : stream(include).flatMap(v -> Stream.of(v.split(","))).map(String::trim).toList()) {
            if (!"data".equals(value)) {
                throw new InvalidInputException("include takes 'data' (the flat output data in JSON answers); found '"
                        + value + "'");
            }
            data = true;
        }
        return data;
    }

    private static Duration deadline(String timeoutMs) {
        if (timeoutMs == null) {
            return null;
        }
        try {
            return Duration.ofMillis(Long.parseLong(timeoutMs.trim()));
        } catch (NumberFormatException e) {
            throw new InvalidInputException("timeout_ms must be an integer number of milliseconds, found '"
                    + timeoutMs + "'");
        }
    }

    private static Stream<String> stream(List<String> values) {
        return values == null ? Stream.empty() : values.stream();
    }
}
