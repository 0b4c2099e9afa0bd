package dev.sinewich.serve.model;

import ai.djl.Device;
import dev.sinewich.serve.model.swin.BlockLinear;
import java.util.List;
import java.util.Map;

/** Builds the task-kernel policy that settings ask for. Stateless and thread-safe. */
final class KernelPolicies {

    private KernelPolicies() {}

    /**
     * Creates a policy, resolving {@code auto} and preloading tasks into a cache.
     *
     * @param settings the settings
     * @param device where the model runs
     * @param adapted every adapted linear
     * @param tasks the bundle's tasks
     * @return the policy
     * @throws IllegalArgumentException when a pinned or preloaded task is not in the bundle
     */
    static KernelPolicy create(KernelSettings settings, Device device, List<BlockLinear> adapted,
            Map<String, TaskRuntime> tasks) {
        for (String t : settings.pinned()) {
            if (!tasks.containsKey(t)) {
                throw new IllegalArgumentException("pinned task '" + t + "' is not in the bundle");
            }
        }
        for (String t : settings.preload()) {
            if (!tasks.containsKey(t)) {
                throw new IllegalArgumentException("preloaded task '" + t + "' is not in the bundle");
            }
        }
        String policy = settings.policy();
        if (policy.equals("auto")) {
            // on a GPU the elementwise derivation is negligible; on a CPU keep what the budget holds
            boolean fits = settings.budgetBytes() >= CachedKernels.bytesPerTask(adapted);
            policy = device.isGpu() || !fits ? OnTheFlyKernels.NAME : CachedKernels.NAME;
        }
        if (policy.equals(OnTheFlyKernels.NAME)) {
            return new OnTheFlyKernels();
        }
        CachedKernels cache = new CachedKernels(device, adapted, settings.budgetBytes(), settings.pinned());
        for (String t : settings.preload()) {
            cache.preload(tasks.get(t));
        }
        return cache;
    }
}
