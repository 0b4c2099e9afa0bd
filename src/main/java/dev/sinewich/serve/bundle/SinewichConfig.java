package dev.sinewich.serve.bundle;

import java.util.List;
import java.util.Set;

/**
 * The validated content of a bundle's {@code sinewich.json} (SPEC §2). Immutable and thread-safe.
 *
 * @param format always {@code sinewich/v1}
 * @param name the model name, served as the Open Inference Protocol model name
 * @param version the model version
 * @param input the model input size and normalisation
 * @param backbone the Swin backbone shape
 * @param lora the shared low-rank adapters, or {@code null} when there are none
 * @param awb the Sine-AWB branch settings
 * @param decoder the decoder shape
 * @param tasks the tasks, in bundle order
 */
public record SinewichConfig(
        String format,
        String name,
        String version,
        Input input,
        Backbone backbone,
        Lora lora,
        Awb awb,
        Decoder decoder,
        List<Task> tasks) {

    /** The only format this server reads. */
    public static final String FORMAT = "sinewich/v1";

    /**
     * Returns this configuration under another model name: the name a server serves the bundle
     * under when it is told one (a KServe model name, a repository entry's name).
     *
     * @param served the name to serve under
     * @return the configuration with that name, everything else the same
     */
    public SinewichConfig withName(String served) {
        return new SinewichConfig(format, served, version, input, backbone, lora, awb, decoder, tasks);
    }

    /**
     * Returns the number of backbone stages S.
     *
     * @return S, from 1 to 4
     */
    public int stages() {
        return backbone.depths().size();
    }

    /**
     * Finds a task by its exact name.
     *
     * @param taskName the task name
     * @return the task, or {@code null} when the bundle has no such task
     */
    public Task task(String taskName) {
        for (Task task : tasks) {
            if (task.name().equals(taskName)) {
                return task;
            }
        }
        return null;
    }

    /**
     * Model input size and per-channel normalisation.
     *
     * @param height model input height H
     * @param width model input width W
     * @param mean RGB mean
     * @param std RGB standard deviation
     */
    public record Input(int height, int width, List<Float> mean, List<Float> std) {

        /**
         * Returns the RGB mean as an array.
         *
         * @return a new array of 3 values
         */
        public float[] meanValues() {
            return new float[] {mean.get(0), mean.get(1), mean.get(2)};
        }

        /**
         * Returns the RGB standard deviation as an array.
         *
         * @return a new array of 3 values
         */
        public float[] stdValues() {
            return new float[] {std.get(0), std.get(1), std.get(2)};
        }
    }

    /**
     * The torchvision Swin v1 shape.
     *
     * @param patchSize patch embedding stride and kernel
     * @param embedDim channels of stage 0
     * @param depths blocks per stage
     * @param numHeads attention heads per stage
     * @param windowSize attention window side
     * @param mlpRatio MLP hidden width over channels
     */
    public record Backbone(
            int patchSize,
            int embedDim,
            List<Integer> depths,
            List<Integer> numHeads,
            int windowSize,
            double mlpRatio) {

        /**
         * Returns C_s, the channel count of stage s.
         *
         * @param stage the 0-based stage
         * @return embedDim · 2^stage
         */
        public int channels(int stage) {
            return embedDim << stage;
        }

        /**
         * Returns the MLP hidden width of stage s, as torchvision computes it.
         *
         * @param stage the 0-based stage
         * @return ⌊C_s · mlpRatio⌋
         */
        public int mlpHidden(int stage) {
            return (int) Math.floor(channels(stage) * mlpRatio);
        }
    }

    /**
     * Shared low-rank adapters, merged into the base weights at load.
     *
     * @param rank adapter rank
     * @param alpha adapter scale numerator
     * @param targets adapted linears
     */
    public record Lora(int rank, double alpha, Set<LinearTarget> targets) {}

    /**
     * The Sine-AWB branch in the last block of every stage.
     *
     * @param rank rank of the fused kernel factors
     * @param targets adapted linears
     * @param gain scale of the task kernel added to the base weight
     * @param lowpass the Gaussian low-pass, or {@code null} for none
     */
    public record Awb(int rank, Set<LinearTarget> targets, double gain, Lowpass lowpass) {}

    /**
     * Gaussian low-pass applied to each task kernel.
     *
     * @param size odd filter side
     * @param sigma Gaussian standard deviation
     */
    public record Lowpass(int size, double sigma) {}

    /**
     * The HRNet-style decoder shape.
     *
     * @param channels per-stage projection widths
     * @param hidden fused width
     */
    public record Decoder(List<Integer> channels, int hidden) {

        /**
         * Returns the sum of the per-stage projection widths.
         *
         * @return Σ channels
         */
        public int totalChannels() {
            return channels.stream().mapToInt(Integer::intValue).sum();
        }
    }

    /**
     * One task the bundle serves.
     *
     * @param name unique task name
     * @param kind what the task predicts
     * @param outputs head output channels
     * @param labels class names (segmentation only), else an empty list
     * @param unit depth unit (depth only), else {@code null}
     */
    public record Task(String name, TaskKind kind, int outputs, List<String> labels, String unit) {}
}
