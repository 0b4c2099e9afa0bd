package dev.sinewich.serve.evaluation;

import java.nio.file.Path;

/**
 * The command line of {@link EvaluateCommand}, parsed. Immutable.
 *
 * @param model a bundle directory or zip, or {@code default} for the bundle embedded in the jar
 * @param data the data set directory
 * @param baseline a report to compute Δm against, or {@code null}
 * @param out where to write the JSON report, or {@code null}
 * @param batch images per forward pass
 * @param device {@code auto}, {@code cpu} or {@code gpu}
 */
public record EvaluateOptions(String model, Path data, Path baseline, Path out, int batch, String device) {

    /** The usage text. */
    public static final String USAGE = "usage: evaluate --model <bundle dir|bundle.zip|default> --data <dataset dir>\n"
            + "                [--baseline report.json] [--out report.json] [--batch N (default 4)]\n"
            + "                [--device auto|cpu|gpu (default auto)]";

    /**
     * Parses the arguments.
     *
     * @param args the command-line arguments
     * @return the options
     * @throws IllegalArgumentException with a message for the user when an argument is missing,
     *     unknown or malformed
     */
    public static EvaluateOptions parse(String[] args) {
        String model = null;
        Path data = null;
        Path baseline = null;
        Path out = null;
        int batch = 4;
        String device = "auto";
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag.startsWith("--") ? flag + " needs a value" : "unexpected " + flag);
            }
            String value = args[++i];
            switch (flag) {
                case "--model" -> model = value;
                case "--data" -> data = Path.of(value);
                case "--baseline" -> baseline = Path.of(value);
                case "--out" -> out = Path.of(value);
                case "--device" -> device = value;
                case "--batch" -> {
                    try {
                        batch = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        batch = 0;
                    }
                    if (batch < 1) {
                        throw new IllegalArgumentException("--batch must be a positive integer, found " + value);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        if (model == null || data == null) {
            throw new IllegalArgumentException("--model and --data are required");
        }
        return new EvaluateOptions(model, data, baseline, out, batch, device);
    }
}
