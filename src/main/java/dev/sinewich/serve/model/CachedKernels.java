package dev.sinewich.serve.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sinewich.serve.model.swin.BlockLinear;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Materialises each task's weights W_t once and keeps them, least recently used first out, under a
 * byte budget; pinned tasks are never evicted. A task whose weights alone exceed the budget is
 * served on the fly. Weights in use by a pass are freed only when the pass releases them, so
 * eviction never pulls memory from under a running forward. Thread-safe.
 */
final class CachedKernels implements KernelPolicy {

    /** The policy's name in settings and metrics. */
    static final String NAME = "cache";

    private final Device device;
    private final List<BlockLinear> adapted;
    private final long budgetBytes;
    private final Set<String> pinned;
    private final OnTheFlyKernels bypass = new OnTheFlyKernels();
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    /** Materialisations under way, one per task version; guarded by this. */
    private final Map<TaskRuntime, CompletableFuture<Entry>> inFlight = new IdentityHashMap<>();
    private long residentBytes;
    private long hits;
    private long misses;
    private long evictions;
    private long nanos;

    /** One task's materialised weights. */
    private static final class Entry {
        final TaskRuntime task;
        final NDManager owner;
        final Map<BlockLinear, NDArray> weights;
        final long bytes;
        int leases;
        boolean retired;

        Entry(TaskRuntime task, NDManager owner, Map<BlockLinear, NDArray> weights, long bytes) {
            this.task = task;
            this.owner = owner;
            this.weights = weights;
            this.bytes = bytes;
        }
    }

    /**
     * Creates the cache.
     *
     * @param device where materialised weights live
     * @param adapted every adapted linear of the model
     * @param budgetBytes the byte budget
     * @param pinned tasks never evicted
     */
    CachedKernels(Device device, List<BlockLinear> adapted, long budgetBytes, Set<String> pinned) {
        this.device = device;
        this.adapted = List.copyOf(adapted);
        this.budgetBytes = budgetBytes;
        this.pinned = Set.copyOf(pinned);
    }

    /**
     * Returns the bytes one task's materialised weights take.
     *
     * @param adapted every adapted linear
     * @return Σ out · in · 4
     */
    static long bytesPerTask(List<BlockLinear> adapted) {
        long bytes = 0;
        for (BlockLinear linear : adapted) {
            bytes += linear.baseWeight().getShape().size() * Float.BYTES;
        }
        return bytes;
    }

    /**
     * Materialises a task's weights now, so that its first request is a hit.
     *
     * @param task the task
     */
    void preload(TaskRuntime task) {
        lease(task).close();
    }

    /**
     * Leases a task's weights. A miss materialises them outside the cache's lock, so passes of
     * other tasks (and hits) never wait for it; a second pass of the same task waits for the one
     * materialisation in flight instead of starting another.
     */
    @Override
    public TaskWeights lease(TaskRuntime task) {
        CompletableFuture<Entry> pending;
        boolean mine = false;
        long bytes = bytesPerTask(adapted);
        synchronized (this) {
            Entry entry = entries.get(task.name());
            if (entry != null && entry.task == task) {
                hits++;
                return leaseOf(entry);
            }
            pending = inFlight.get(task);
            if (pending == null) {
                misses++;
                if (entry != null) {
                    remove(entry); // an earlier version of the task
                }
                if (bytes > budgetBytes) {
                    return bypass.lease(task);
                }
                pending = new CompletableFuture<>();
                inFlight.put(task, pending);
                mine = true;
            }
        }
        if (mine) {
            return materialiseAndLease(task, bytes, pending);
        }
        Entry made;
        try {
            made = pending.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        synchronized (this) {
            if (!made.retired) {
                hits++;
                return leaseOf(made);
            }
        }
        return lease(task); // dropped again at once (budget, or the task was forgotten): start over
    }

    private TaskWeights materialiseAndLease(TaskRuntime task, long bytes, CompletableFuture<Entry> pending) {
        Entry made;
        try {
            made = materialise(task, bytes);
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                inFlight.remove(task, pending);
            }
            pending.completeExceptionally(e);
            throw e;
        }
        TaskWeights lease;
        synchronized (this) {
            residentBytes += bytes;
            lease = leaseOf(made);
            if (!inFlight.remove(task, pending)) {
                // forgotten (the task was removed) while it was made: serve this pass, keep nothing
                made.retired = true;
            } else {
                entries.put(task.name(), made);
                evictToBudget(made);
                if (residentBytes > budgetBytes && !pinned.contains(task.name())) {
                    // pinned tasks fill the budget: serve this pass, keep nothing
                    remove(made);
                }
            }
        }
        pending.complete(made);
        return lease;
    }

    private Entry materialise(TaskRuntime task, long bytes) {
        long start = System.nanoTime();
        TensorStore.disableGradOnThisThread();
        NDManager owner = NDManager.newBaseManager(device, TensorStore.ENGINE);
        Map<BlockLinear, NDArray> weights = new IdentityHashMap<>();
        try {
            for (BlockLinear linear : adapted) {
                try (NDManager work = NDManager.newBaseManager(device, TensorStore.ENGINE)) {
                    NDArray w = task.deriveWeight(linear, work);
                    w.attach(owner);
                    weights.put(linear, w);
                }
            }
        } catch (RuntimeException | Error e) {
            owner.close(); // nothing of a failed materialisation stays resident
            throw e;
        }
        synchronized (this) {
            nanos += System.nanoTime() - start;
        }
        return new Entry(task, owner, weights, bytes);
    }

    private void evictToBudget(Entry keep) {
        Iterator<Entry> lru = new ArrayList<>(entries.values()).iterator();
        while (residentBytes > budgetBytes && lru.hasNext()) {
            Entry candidate = lru.next();
            if (candidate != keep && !pinned.contains(candidate.task.name())) {
                remove(candidate);
                evictions++;
            }
        }
    }

    private void remove(Entry entry) {
        entries.remove(entry.task.name(), entry);
        entry.retired = true;
        if (entry.leases == 0) {
            free(entry);
        }
    }

    private void free(Entry entry) {
        entry.owner.close();
        residentBytes -= entry.bytes;
    }

    private TaskWeights leaseOf(Entry entry) {
        entry.leases++;
        return new TaskWeights() {
            private boolean closed;

            @Override
            public NDArray weight(BlockLinear linear, NDManager scope) {
                return entry.weights.get(linear);
            }

            @Override
            public void close() {
                synchronized (CachedKernels.this) {
                    if (!closed) {
                        closed = true;
                        entry.leases--;
                        if (entry.retired && entry.leases == 0) {
                            free(entry);
                        }
                    }
                }
            }
        };
    }

    @Override
    public synchronized void forget(String task) {
        Entry entry = entries.get(task);
        if (entry != null) {
            remove(entry);
        }
        inFlight.keySet().removeIf(t -> t.name().equals(task));
    }

    @Override
    public synchronized KernelStats stats() {
        KernelStats fly = bypass.stats();
        return new KernelStats(NAME, hits, misses, evictions, residentBytes, budgetBytes,
                nanos / 1e9 + fly.materialisationSeconds());
    }

    @Override
    public synchronized void close() {
        for (Entry entry : new ArrayList<>(entries.values())) {
            remove(entry);
        }
    }
}
