/**
 * Offline evaluation of a model on a labelled data set: reading a {@code sinewich-dataset/v1}
 * directory ({@link dev.sinewich.serve.evaluation.Dataset}), the standard multi-task dense
 * prediction metrics as accumulators over the set (semantic segmentation mIoU, depth RMSE, surface
 * normal angular error, saliency max-F and max-IoU), the multi-task score Δm against a baseline
 * report, the {@link dev.sinewich.serve.evaluation.Evaluator} that runs a loaded model over the
 * set, the JSON report and Markdown table, and the command-line entry point
 * {@link dev.sinewich.serve.evaluation.EvaluateCommand}. No HTTP, gRPC or Quarkus types: it runs
 * without a server. Definitions are in {@code docs/EVALUATION.md}.
 */
package dev.sinewich.serve.evaluation;
