package dev.sinewich.serve.evaluation;

import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.bundle.BundleException;
import dev.sinewich.serve.model.SinewichModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Command-line evaluation, without starting the server: loads a bundle, evaluates it on a data
 * set, prints a Markdown table, and optionally writes the JSON report and computes Δm against a
 * baseline report. {@code tools/evaluate.sh} runs it; see {@code docs/EVALUATION.md}.
 */
public final class EvaluateCommand {

    /** The classpath folder of the bundle shipped in the jar. */
    static final String EMBEDDED_BUNDLE = "default-model/";

    private EvaluateCommand() {}

    /**
     * Runs the command and exits with its status: 0 on success, 1 when the evaluation fails, 2 for
     * a usage error.
     *
     * @param args the command-line arguments
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs the command.
     *
     * @param args the command-line arguments
     * @param out where the table goes
     * @param err where progress and errors go
     * @return 0 on success, 1 when the evaluation fails, 2 for a usage error
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            out.println(EvaluateOptions.USAGE);
            return 0;
        }
        EvaluateOptions options;
        try {
            options = EvaluateOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println(EvaluateOptions.USAGE);
            return 2;
        }
        try {
            EvaluationReport report = evaluate(options, err);
            out.print(MarkdownTable.format(report));
            return 0;
        } catch (DatasetException | BundleException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (IOException | RuntimeException e) {
            // anything else (an unreadable file, a failing engine) is reported the same way, in one line
            err.println("error: " + e);
            return 1;
        }
    }

    /**
     * Evaluates as the options say and writes the report file when asked.
     *
     * @param options the options
     * @param err where progress goes
     * @return the report, with Δm when a baseline was given
     * @throws IOException when the baseline cannot be read or the report cannot be written
     */
    public static EvaluationReport evaluate(EvaluateOptions options, PrintStream err) throws IOException {
        Dataset dataset = Dataset.open(options.data());
        Map<String, Double> baseline = null;
        if (options.baseline() != null) {
            baseline = ReportJson.readPrimaryMetrics(Files.readAllBytes(options.baseline()),
                    options.baseline().toString());
        }
        configureDjl();
        EvaluationReport report;
        try (SinewichModel model = load(options)) {
            err.printf("Evaluating %s %s on %s (%d items)%n", model.config().name(), model.config().version(),
                    dataset.manifest().name(), dataset.size());
            report = new Evaluator(model, options.batch()).evaluate(dataset,
                    done -> err.printf("  %d/%d%n", done, dataset.size()));
        }
        if (baseline != null) {
            report = report.withBaseline(baseline, options.baseline().getFileName().toString());
        }
        if (options.out() != null) {
            Path parent = options.out().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(options.out(), ReportJson.write(report, dataset.manifest().labels()),
                    StandardCharsets.UTF_8);
            err.println("Wrote " + options.out());
        }
        return report;
    }

    private static SinewichModel load(EvaluateOptions options) {
        boolean embedded = options.model().equals("default");
        try (Bundle bundle = embedded ? Bundle.openResource(EvaluateCommand.class.getClassLoader(), EMBEDDED_BUNDLE)
                : Bundle.open(Path.of(options.model()))) {
            return SinewichModel.load(bundle, SinewichModel.selectDevice(options.device()));
        }
    }

    /** Keeps DJL offline and quiet unless the operator said otherwise, before its engine starts. */
    private static void configureDjl() {
        for (String key : List.of("ai.djl.offline", "OPT_OUT_TRACKING")) {
            if (System.getProperty(key) == null) {
                System.setProperty(key, "true");
            }
        }
    }
}
