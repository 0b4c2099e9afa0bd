package dev.sinewich.serve.evaluation;

import java.util.Locale;
import java.util.Map;

/** Formats an {@link EvaluationReport} as a Markdown table for a terminal or a document. */
public final class MarkdownTable {

    private MarkdownTable() {}

    /**
     * Formats a report: one row per metric, then Δm when there is a baseline.
     *
     * @param report the report
     * @return the Markdown text, ending with a newline
     */
    public static String format(EvaluationReport report) {
        StringBuilder s = new StringBuilder();
        s.append("Model ").append(report.modelName()).append(" (version ").append(report.modelVersion())
                .append(") on ").append(report.datasetName()).append(" (").append(report.items())
                .append(" items)\n\n");
        boolean baseline = report.deltaM() != null;
        s.append(baseline ? "| task | metric | value | baseline |\n| --- | --- | ---: | ---: |\n"
                : "| task | metric | value |\n| --- | --- | ---: |\n");
        if (report.semseg() != null) {
            row(s, report, DatasetTask.SEMSEG, "mIoU (%)", report.semseg().miou());
            row(s, report, null, "pixel accuracy (%)", report.semseg().pixelAccuracy());
        }
        if (report.depth() != null) {
            DepthMetrics d = report.depth();
            row(s, report, DatasetTask.DEPTH, "RMSE (m)", d.errors().rmse());
            row(s, report, null, "abs-rel", d.errors().absRel());
            row(s, report, null, "log-RMSE", d.errors().logRmse());
            row(s, report, null, "RMSE, median-scaled (m)", d.medianScaled().rmse());
            row(s, report, null, "abs-rel, median-scaled", d.medianScaled().absRel());
        }
        if (report.normals() != null) {
            NormalsMetrics n = report.normals();
            row(s, report, DatasetTask.NORMALS, "mean angle (°)", n.mean());
            row(s, report, null, "median angle (°)", n.median());
            row(s, report, null, "< 11.25° (%)", n.within11());
            row(s, report, null, "< 22.5° (%)", n.within22());
            row(s, report, null, "< 30° (%)", n.within30());
        }
        if (report.saliency() != null) {
            SaliencyMetrics m = report.saliency();
            row(s, report, DatasetTask.SALIENCY, "max-IoU (%)", m.maxIou());
            row(s, report, null, "max-F, β²=0.3 (%)", m.maxF());
            row(s, report, null, "max-F1 (%)", m.maxF1());
        }
        if (baseline) {
            s.append("\nΔm = ").append(number(report.deltaM().value())).append(" % against ")
                    .append(report.deltaM().baseline()).append('\n');
        }
        return s.toString();
    }

    private static void row(StringBuilder s, EvaluationReport report, DatasetTask primary, String metric,
            double value) {
        String task = primary == null ? "" : primary.jsonName();
        s.append("| ").append(task).append(" | ").append(metric).append(" | ").append(number(value)).append(" |");
        if (report.deltaM() != null) {
            Map<String, Double> base = report.deltaM().baselineValues();
            Double b = primary == null ? null : base.get(primary.jsonName());
            s.append(' ').append(b == null ? "" : number(b)).append(" |");
        }
        s.append('\n');
    }

    private static String number(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "n/a";
    }
}
