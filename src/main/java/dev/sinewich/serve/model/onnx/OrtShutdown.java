package dev.sinewich.serve.model.onnx;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Keeps ONNX Runtime's environment alive until the process ends. ONNX Runtime for Java registers a
 * JVM shutdown hook that releases its native environment; shutdown hooks run at the same time, so
 * on SIGTERM it would release the environment while the server's own hook is still finishing the
 * requests it accepted, and a forward pass running in that environment crashes the process
 * (SIGSEGV in {@code libonnxruntime.so}). This removes that hook; the sessions are closed with the
 * model after the last accepted request, and the operating system reclaims the environment at exit.
 *
 * <p>Finding the hook needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}, which the packaged
 * application's manifest carries ({@code quarkus-run.jar}); without it the server logs a warning
 * once and keeps ONNX Runtime's hook.
 */
final class OrtShutdown {

    private static final Logger LOG = Logger.getLogger(OrtShutdown.class);
    private static final String CLOSER = "ai.onnxruntime.OrtEnvironment$OrtEnvCloser";
    private static boolean done;

    private OrtShutdown() {
    }

    /** Removes ONNX Runtime's environment-closing shutdown hook; call after the environment exists. */
    static synchronized void keepEnvironmentUntilExit() {
        if (done) {
            return;
        }
        done = true;
        try {
            int removed = 0;
            for (Thread hook : closers()) {
                removed += Runtime.getRuntime().removeShutdownHook(hook) ? 1 : 0;
            }
            LOG.debugf("removed %d ONNX Runtime environment-closing shutdown hook(s)", removed);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warnf("ONNX Runtime releases its environment in a shutdown hook, and it could not be kept until "
                    + "the server has finished its accepted requests (%s): a forward pass running at SIGTERM may "
                    + "crash the process. Start the JVM with --add-opens java.base/java.lang=ALL-UNNAMED "
                    + "(java -jar quarkus-run.jar does).", e.toString());
        }
    }

    /**
     * Returns the registered shutdown hooks whose task is ONNX Runtime's environment closer.
     *
     * @return the hooks
     * @throws ReflectiveOperationException when the JDK's hook registry cannot be read
     */
    static List<Thread> closers() throws ReflectiveOperationException {
        Class<?> registry = Class.forName("java.lang.ApplicationShutdownHooks");
        Field hooksField = registry.getDeclaredField("hooks");
        hooksField.setAccessible(true);
        Field target = Thread.class.getDeclaredField("target");
        target.setAccessible(true);
        List<Thread> hooks;
        synchronized (registry) {
            Map<?, ?> registered = (Map<?, ?>) hooksField.get(null);
            hooks = new ArrayList<>();
            if (registered != null) {
                for (Object key : registered.keySet()) {
                    hooks.add((Thread) key);
                }
            }
        }
        List<Thread> closers = new ArrayList<>();
        for (Thread hook : hooks) {
            Object task = target.get(hook);
            if (task != null && CLOSER.equals(task.getClass().getName())) {
                closers.add(hook);
            }
        }
        return closers;
    }
}
