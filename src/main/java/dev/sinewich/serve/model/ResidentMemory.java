package dev.sinewich.serve.model;

import java.util.Map;

/**
 * Bytes the loaded model keeps resident, by part. Immutable snapshot.
 *
 * @param backbone backbone weights with the shared LoRA merged, norms, position biases and masks
 * @param fusedKernels the fused Sine-AWB kernels M, one per adapted linear
 * @param decoder the shared decoder projections
 * @param heads each task's ω and head
 * @param taskWeightsEach bytes one task's materialised weights W_t would take
 * @param taskWeightCache bytes of materialised task weights held now by the kernel policy
 */
public record ResidentMemory(long backbone, long fusedKernels, long decoder, Map<String, Long> heads,
        long taskWeightsEach, long taskWeightCache) {

    /**
     * Returns the sum of every part.
     *
     * @return total resident bytes
     */
    public long total() {
        return backbone + fusedKernels + decoder + heads.values().stream().mapToLong(Long::longValue).sum()
                + taskWeightCache;
    }
}
