package dev.sinewich.serve.api.rest.v1;

import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.InvalidInputException;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

/**
 * A {@code predict} request's checked options: the tasks to run (in the order named), the answer's
 * format, whether JSON carries the data, and the timeout. Immutable.
 *
 * @param tasks the task names, at least one, or {@code null} for every task the model serves
 *     ({@code task=all}); the model checks them
 * @param format the answer's format; {@link #check} checks it against the tasks
 * @param includeData whether JSON answers carry the flat output data
 * @param timeout the timeout, or {@code null} for the server's default
 */
public record PredictOptions(List<String> tasks, OutputFormat format, boolean includeData, Duration timeout) {

    /** The task parameter value that selects every served task. */
    static final String ALL = "all";

    /** The query parameters of a prediction; any other is a 400, so that a misspelt one is not ignored. */
    static final List<String> PARAMETERS = List.of("task", "tasks", "format", "include", "timeout_ms");

    /**
     * Checks the query.
     *
     * @param query the query parameters
     * @param names the names of every query parameter sent
     * @param accept the acceptable media types, most preferred first
     * @return the options
     * @throws InvalidInputException naming what is wrong: an unknown parameter, no task, {@code all}
     *     with other names, an unknown format or include, or a {@code timeout_ms} that is not an
     *     integer
     */
    public static PredictOptions parse(PredictQuery query, Collection<String> names, List<MediaType> accept) {
        for (String name : names) {
            if (!PARAMETERS.contains(name)) {
                throw new InvalidInputException("unknown query parameter '" + name + "'; accepted are "
                        + String.join(", ", PARAMETERS));
            }
        }
        List<String> tasks = tasks(names(query));
        OutputFormat format = OutputFormat.select(query.format, accept);
        return new PredictOptions(tasks, format, includeData(query.include), timeout(query.timeoutMs));
    }

    /**
     * Checks that the answer's format can show the tasks the model resolved.
     *
     * @param resolved the tasks that will run
     * @throws InvalidInputException for a picture format with several tasks or the wrong kind
     */
    public void check(List<SinewichConfig.Task> resolved) {
        format.check(resolved);
    }

    private static List<String> names(PredictQuery query) {
        return Stream.concat(stream(query.task), stream(query.tasks))
                .flatMap(v -> Stream.of(v.split(",")))
                .map(String::trim)
                .filter(v -> !v.isEmpty())
                .toList();
    }

    /** The names in order, or {@code null} for {@code task=all}. */
    private static List<String> tasks(List<String> names) {
        if (names.isEmpty()) {
            throw new InvalidInputException("name at least one task with task=NAME (repeatable), tasks=A,B or "
                    + "task=all; GET /v1/models/{model}/tasks lists them");
        }
        if (names.contains(ALL)) {
            if (names.size() > 1) {
                throw new InvalidInputException("task=all runs every task and cannot be combined with task names, "
                        + "found " + names);
            }
            return null;
        }
        return names;
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

    private static Duration timeout(String timeoutMs) {
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
