package dev.sinewich.serve.model;

/**
 * Counters of a task-kernel policy. Immutable snapshot.
 *
 * @param policy the policy name: {@code on-the-fly} or {@code cache}
 * @param hits leases served from materialised weights
 * @param misses leases that had to derive the weights
 * @param evictions tasks whose materialised weights were dropped to stay under the budget
 * @param residentBytes bytes of materialised task weights held now
 * @param budgetBytes the byte budget (0 for on-the-fly)
 * @param materialisationSeconds total time spent deriving task weights
 */
public record KernelStats(String policy, long hits, long misses, long evictions, long residentBytes,
        long budgetBytes, double materialisationSeconds) {}
