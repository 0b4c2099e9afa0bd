package dev.sinewich.serve.model;

import java.util.Set;

/**
 * How task weights are provided (see {@link KernelPolicy}): {@code on-the-fly}, {@code cache}, or
 * {@code auto} (on-the-fly on a GPU, where the elementwise work is negligible; on a CPU the cache
 * when the budget holds at least one task's weights).
 *
 * @param policy {@code auto}, {@code on-the-fly} or {@code cache}
 * @param budgetBytes the cache's byte budget for materialised task weights
 * @param pinned tasks the cache never evicts
 * @param preload tasks the cache materialises at load
 */
public record KernelSettings(String policy, long budgetBytes, Set<String> pinned, Set<String> preload) {

    /** The policy names accepted in {@link #policy}. */
    public static final Set<String> POLICIES = Set.of("auto", OnTheFlyKernels.NAME, CachedKernels.NAME);

    /** On-the-fly derivation, the default when nothing is configured. */
    public static final KernelSettings ON_THE_FLY = new KernelSettings(OnTheFlyKernels.NAME, 0, Set.of(), Set.of());

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException for an unknown policy or a negative budget
     */
    public KernelSettings {
        if (!POLICIES.contains(policy)) {
            throw new IllegalArgumentException("kernel policy must be one of auto, on-the-fly, cache; found " + policy);
        }
        if (budgetBytes < 0) {
            throw new IllegalArgumentException("kernel cache budget must be ≥ 0, found " + budgetBytes);
        }
        pinned = Set.copyOf(pinned);
        preload = Set.copyOf(preload);
    }
}
