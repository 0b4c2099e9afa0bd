package dev.sinewich.serve.api.rest.v1;

import dev.sinewich.serve.arrays.Npy;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.bundle.TaskKind;
import dev.sinewich.serve.imaging.Visualizer;
import dev.sinewich.serve.model.InvalidInputException;
import jakarta.ws.rs.core.MediaType;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** What {@code predict} answers with, chosen by the {@code format} parameter or the {@code Accept} header. */
public enum OutputFormat {

    /** Per-task summaries (and with {@code include=data} the flat output data) as JSON. */
    JSON("json", MediaType.APPLICATION_JSON),

    /** One task's picture: segmentation colour-coded, depth colour-mapped, normals RGB, maps grey. */
    PNG("png", "image/png"),

    /** One depth task as a 16-bit grey PNG in millimetres. */
    PNG16("png16", "image/png"),

    /** One task's first output as a NumPy {@code .npy} file. */
    NPY("npy", Npy.MEDIA_TYPE);

    private final String parameter;
    private final String mediaType;

    OutputFormat(String parameter, String mediaType) {
        this.parameter = parameter;
        this.mediaType = mediaType;
    }

    /**
     * Returns the response's media type.
     *
     * @return e.g. {@code image/png}
     */
    public String mediaType() {
        return mediaType;
    }

    /**
     * Chooses the format: the {@code format} parameter when given, else the first acceptable media
     * type that names one ({@code application/json}, {@code image/png}, {@code application/x-npy};
     * {@code *}{@code /*} and {@code application/*} mean JSON, {@code image/*} PNG), else JSON.
     *
     * @param format the {@code format} parameter, or {@code null}
     * @param accept the acceptable media types, most preferred first
     * @return the format
     * @throws InvalidInputException for an unknown {@code format}
     */
    public static OutputFormat select(String format, List<MediaType> accept) {
        if (format != null) {
            String wanted = format.trim().toLowerCase(Locale.ROOT);
            return Arrays.stream(values()).filter(f -> f.parameter.equals(wanted)).findFirst().orElseThrow(() ->
                    new InvalidInputException("format must be one of " + Arrays.stream(values())
                            .map(f -> f.parameter).collect(Collectors.joining(", ")) + "; found '" + format + "'"));
        }
        for (MediaType type : accept) {
            String kind = type.getType();
            String sub = type.getSubtype();
            if (type.isWildcardType() || "application".equals(kind) && ("json".equals(sub) || type.isWildcardSubtype())) {
                return JSON;
            }
            if ("image".equals(kind) && ("png".equals(sub) || type.isWildcardSubtype())) {
                return PNG;
            }
            if ("application".equals(kind) && "x-npy".equals(sub)) {
                return NPY;
            }
        }
        return JSON;
    }

    /**
     * Checks that this format can show the tasks, before any work is done.
     *
     * @param tasks the requested tasks, at least one
     * @throws InvalidInputException when it cannot: a picture or array of several tasks, or png16
     *     of anything but depth in a known unit
     */
    public void check(List<SinewichConfig.Task> tasks) {
        if (this == JSON) {
            return;
        }
        if (tasks.size() != 1) {
            throw new InvalidInputException("format " + parameter + " returns one task's output, but "
                    + tasks.size() + " tasks were requested (" + tasks.stream().map(SinewichConfig.Task::name)
                    .collect(Collectors.joining(", ")) + "); request one task, or use format=json for several");
        }
        SinewichConfig.Task task = tasks.get(0);
        if (this == PNG16) {
            if (task.kind() != TaskKind.DEPTH) {
                throw new InvalidInputException("format png16 is for depth tasks only; task '" + task.name()
                        + "' is " + task.kind().jsonName() + " (use format=png for its picture)");
            }
            try {
                Visualizer.millimetresPerUnit(task.unit());
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("format png16 needs depth in m, cm or mm; task '" + task.name()
                        + "' has unit '" + task.unit() + "'");
            }
        }
    }

    @Override
    public String toString() {
        return parameter;
    }
}
