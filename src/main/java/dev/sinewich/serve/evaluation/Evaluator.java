package dev.sinewich.serve.evaluation;

import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.ForwardItem;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.OutputTensor;
import dev.sinewich.serve.model.SinewichModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Runs a loaded model over a data set and accumulates the metrics of every task both have. Items
 * go through the model in small batches of consecutive items of one image size, all tasks in one
 * forward pass; the model resizes its input and answers at the size it received, so ground truths
 * are compared at their own resolution. The model hands back plain Java arrays, so no native
 * memory is held here. Not thread-safe (one evaluation at a time); the model may be shared.
 */
public final class Evaluator {

    private final SinewichModel model;
    private final int batchSize;

    /**
     * Creates an evaluator.
     *
     * @param model the model; the caller keeps ownership and closes it
     * @param batchSize the most images per forward pass, at least 1
     */
    public Evaluator(SinewichModel model, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, found " + batchSize);
        }
        this.model = model;
        this.batchSize = batchSize;
    }

    /**
     * Evaluates the model on every item of a data set.
     *
     * @param dataset the data set
     * @return the report (without Δm)
     * @throws IllegalArgumentException when the model predicts none of the data set's ground truths
     * @throws DatasetException when an item cannot be read
     */
    public EvaluationReport evaluate(Dataset dataset) {
        return evaluate(dataset, done -> { });
    }

    /**
     * Evaluates the model on every item of a data set, reporting progress.
     *
     * @param dataset the data set
     * @param progress called after each batch with the number of items done so far
     * @return the report (without Δm)
     * @throws IllegalArgumentException when the model predicts none of the data set's ground truths
     * @throws DatasetException when an item cannot be read
     */
    public EvaluationReport evaluate(Dataset dataset, IntConsumer progress) {
        DatasetManifest manifest = dataset.manifest();
        List<TaskBinding> bindings = TaskBinding.bind(model.tasks(), manifest);
        if (bindings.isEmpty()) {
            throw new IllegalArgumentException("model " + model.config().name() + " predicts none of the data set's "
                    + "ground truths " + manifest.tasks().stream().map(DatasetTask::jsonName).toList());
        }
        Accumulators acc = new Accumulators(manifest);
        DatasetItem pending = null;
        int read = 0;
        while (pending != null || read < dataset.size()) {
            List<DatasetItem> batch = new ArrayList<>();
            batch.add(pending != null ? pending : dataset.read(read++));
            pending = null;
            DatasetItem first = batch.get(0);
            while (batch.size() < batchSize && read < dataset.size()) {
                DatasetItem item = dataset.read(read++);
                if (item.height() != first.height() || item.width() != first.width()) {
                    pending = item;
                    break;
                }
                batch.add(item);
            }
            run(batch, bindings, acc);
            progress.accept(read - (pending == null ? 0 : 1));
        }
        Map<String, String> modelTasks = new LinkedHashMap<>();
        bindings.forEach(b -> modelTasks.put(b.task().jsonName(), b.modelTask().name()));
        SinewichConfig c = model.config();
        return new EvaluationReport(c.name(), c.version(), manifest.name(), dataset.dir().toString(),
                dataset.size(), modelTasks,
                modelTasks.containsKey("semseg") ? acc.semseg.result() : null,
                modelTasks.containsKey("depth") ? acc.depth.result() : null,
                modelTasks.containsKey("normals") ? acc.normals.result() : null,
                modelTasks.containsKey("saliency") ? acc.saliency.result() : null, null);
    }

    private void run(List<DatasetItem> batch, List<TaskBinding> bindings, Accumulators acc) {
        DatasetItem first = batch.get(0);
        int plane = 3 * first.height() * first.width();
        float[] pixels = new float[batch.size() * plane];
        for (int i = 0; i < batch.size(); i++) {
            System.arraycopy(batch.get(i).rgb(), 0, pixels, i * plane, plane);
        }
        ImageBatch images = new ImageBatch(batch.size(), first.height(), first.width(), pixels);
        List<String> tasks = bindings.stream().map(b -> b.modelTask().name()).toList();
        Map<String, List<OutputTensor>> outputs = model.predictBatch(
                List.of(new ForwardItem(images, tasks, Set.of()))).get(0);
        for (TaskBinding b : bindings) {
            String outputName = b.modelTask().kind().outputNames().get(0);
            OutputTensor out = outputs.get(b.modelTask().name()).stream()
                    .filter(o -> o.name().equals(outputName)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the model gave no " + outputName + " output"));
            int per = out.size() / batch.size();
            for (int i = 0; i < batch.size(); i++) {
                acc.add(b, batch.get(i), out, i * per, per);
            }
        }
    }

    /** One accumulator per task kind. */
    private static final class Accumulators {
        private final SegmentationAccumulator semseg;
        private final DepthAccumulator depth = new DepthAccumulator();
        private final NormalsAccumulator normals = new NormalsAccumulator();
        private final SaliencyAccumulator saliency = new SaliencyAccumulator();

        Accumulators(DatasetManifest manifest) {
            semseg = manifest.has(DatasetTask.SEMSEG)
                    ? new SegmentationAccumulator(manifest.labels().size(), manifest.ignoreLabel()) : null;
        }

        void add(TaskBinding b, DatasetItem item, OutputTensor out, int from, int count) {
            switch (b.task()) {
                case SEMSEG: {
                    int[] predicted = Arrays.copyOfRange(out.ints(), from, from + count);
                    semseg.add(item.semseg(), b.toDatasetClasses(predicted));
                    break;
                }
                case DEPTH: {
                    float[] predicted = Arrays.copyOfRange(out.floats(), from, from + count);
                    for (int i = 0; i < predicted.length; i++) {
                        predicted[i] = (float) (predicted[i] * b.metresPerUnit());
                    }
                    depth.add(item.depth(), predicted);
                    break;
                }
                case NORMALS:
                    normals.add(item.normals(), Arrays.copyOfRange(out.floats(), from, from + count));
                    break;
                default:
                    saliency.add(item.saliency(), Arrays.copyOfRange(out.floats(), from, from + count));
                    break;
            }
        }
    }
}
