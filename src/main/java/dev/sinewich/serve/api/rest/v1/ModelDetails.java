package dev.sinewich.serve.api.rest.v1;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.KernelStats;
import dev.sinewich.serve.model.ResidentMemory;
import dev.sinewich.serve.model.SinewichModel;
import java.util.List;
import java.util.Map;

/**
 * One model as {@code GET /v1/models/{model}} describes it: the summary's facts, the backbone's
 * shape, the task-kernel counters, resident memory and every task in full. Immutable.
 *
 * @param name the model name
 * @param version the bundle's version
 * @param device {@code cpu} or {@code gpu:N}
 * @param engine what runs the network: {@code onnxruntime} or {@code pytorch}
 * @param input the model input
 * @param backbone the Swin backbone's shape
 * @param kernels the task-kernel policy and its counters
 * @param memory resident bytes by part
 * @param tasks the tasks served now
 */
public record ModelDetails(String name, String version, String device, String engine, ModelSummary.Input input,
        Backbone backbone,
        Kernels kernels, Memory memory, List<TaskInfo> tasks) {

    /**
     * The backbone's shape.
     *
     * @param stages the number of stages S
     * @param patchSize the patch size
     * @param embedDim the channels of stage 0
     * @param depths the blocks per stage
     * @param windowSize the attention window
     */
    public record Backbone(int stages, @JsonProperty("patch_size") int patchSize,
            @JsonProperty("embed_dim") int embedDim, List<Integer> depths,
            @JsonProperty("window_size") int windowSize) {}

    /**
     * The task-kernel policy and its counters since start-up.
     *
     * @param policy {@code on-the-fly} or {@code cache}
     * @param hits cache hits
     * @param misses cache misses (materialisations)
     * @param evictions cache evictions
     * @param residentBytes bytes the cache holds now
     * @param budgetBytes the cache's budget
     */
    public record Kernels(String policy, long hits, long misses, long evictions,
            @JsonProperty("resident_bytes") long residentBytes, @JsonProperty("budget_bytes") long budgetBytes) {}

    /**
     * Resident bytes by part.
     *
     * @param backbone the backbone (shared adapters merged)
     * @param fusedKernels the fused Sine-AWB kernels
     * @param decoder the shared decoder
     * @param heads each task's head and frequencies
     * @param taskWeightCache the cache of materialised task weights
     * @param total the sum
     */
    public record Memory(long backbone, @JsonProperty("fused_kernels") long fusedKernels, long decoder,
            Map<String, Long> heads, @JsonProperty("task_weight_cache") long taskWeightCache, long total) {}

    /**
     * Describes a model.
     *
     * @param model the model
     * @return its details
     */
    public static ModelDetails of(SinewichModel model) {
        SinewichConfig c = model.config();
        KernelStats k = model.kernelStats();
        ResidentMemory m = model.memory();
        return new ModelDetails(c.name(), c.version(), ModelSummary.device(model), model.engine(), ModelSummary.input(c),
                new Backbone(c.stages(), c.backbone().patchSize(), c.backbone().embedDim(), c.backbone().depths(),
                        c.backbone().windowSize()),
                new Kernels(k.policy(), k.hits(), k.misses(), k.evictions(), k.residentBytes(), k.budgetBytes()),
                new Memory(m.backbone(), m.fusedKernels(), m.decoder(), m.heads(), m.taskWeightCache(), m.total()),
                model.tasks().stream().map(t -> TaskInfo.of(model, t)).toList());
    }
}
