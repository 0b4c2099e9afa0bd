package dev.sinewich.serve.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;
import java.util.Map;

/**
 * Counts the native PyTorch resources alive in this JVM, over the whole manager tree: every DJL
 * manager is a descendant of the engine's system manager (the model's resident manager, task-weight
 * owners, and every per-call manager), so counting from that root sees every NDArray that has not
 * been closed. When no request is running the count must return to the same idle value; a count
 * that grows with traffic is a native leak. Thread-safe (the managers' maps are concurrent).
 */
public final class NativeResources {

    private static volatile NDManager root;
    private static final Field RESOURCES = resourcesField();

    private NativeResources() {}

    /**
     * Returns the number of NDArrays alive, in every manager of the PyTorch engine.
     *
     * @return the live array count
     */
    public static int liveArrays() {
        return root().getManagedArrays().size();
    }

    /**
     * Returns the number of open NDManagers below the engine's system manager, or -1 when DJL's
     * internals cannot be read.
     *
     * @return the live manager count
     */
    public static int liveManagers() {
        return RESOURCES == null ? -1 : managersBelow(root());
    }

    private static NDManager root() {
        NDManager r = root;
        if (r == null) {
            try (NDManager probe = Engine.getEngine(TensorStore.ENGINE).newBaseManager()) {
                r = probe.getParentManager(); // the system manager, which never closes
            }
            root = r;
        }
        return r;
    }

    private static int managersBelow(NDManager manager) {
        int count = 0;
        for (Object resource : resources(manager).values()) {
            if (resource instanceof NDManager) {
                count += 1 + managersBelow((NDManager) resource);
            }
        }
        return count;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, AutoCloseable> resources(NDManager manager) {
        try {
            return (Map<String, AutoCloseable>) RESOURCES.get(manager);
        } catch (IllegalAccessException | IllegalArgumentException e) {
            return Map.of();
        }
    }

    private static Field resourcesField() {
        try {
            Field f = BaseNDManager.class.getDeclaredField("resources"); // DJL keeps no public view of its children
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException | RuntimeException e) {
            return null;
        }
    }
}
