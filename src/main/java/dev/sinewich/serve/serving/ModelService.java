package dev.sinewich.serve.serving;

import dev.sinewich.serve.bundle.Bundle;
import dev.sinewich.serve.bundle.BundleException;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.model.ForwardItem;
import dev.sinewich.serve.model.ImageBatch;
import dev.sinewich.serve.model.EngineSettings;
import dev.sinewich.serve.model.KernelSettings;
import dev.sinewich.serve.model.SinewichModel;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Owns the served model: loads the configured bundle (or the one shipped in the jar) at start-up,
 * failing start-up with the bundle's own error message when it is invalid, and frees it at
 * shutdown. Every change of the served model at run time (the admin API by path, the Open
 * Inference Protocol's repository extension by name) goes through {@link #replace(String)} or
 * {@link #load(String)}, which share the repository's confinement and one loading path: a bundle
 * that fails leaves the current one serving. Thread-safe.
 */
@ApplicationScoped
public class ModelService {

    /** Classpath folder of the bundle shipped in the jar. */
    static final String EMBEDDED = "default-model/";

    private static final Logger LOG = Logger.getLogger(ModelService.class);

    private final ServingConfig config;
    private final ModelRepository repository;
    private final String configuredName;
    private final List<Consumer<SinewichModel>> listeners = new CopyOnWriteArrayList<>();
    private final Map<Path, String> failures = new ConcurrentHashMap<>();
    private volatile SinewichModel model;
    /** The served bundle's real path; null for the embedded bundle or when nothing is served. */
    private volatile Path servedFrom;
    /** The bundle being loaded at run time, if any. */
    private volatile Path loading;

    /**
     * Creates the service.
     *
     * @param config the server settings
     */
    public ModelService(ServingConfig config) {
        this.config = config;
        this.repository = ModelRepository.of(config.model().repository());
        this.configuredName = config.model().name().filter(n -> !n.isBlank()).orElse(null);
        if (configuredName != null && !ModelRepository.NAME.matcher(configuredName).matches()) {
            throw new IllegalStateException("sinewich.model.name must match " + ModelRepository.NAME.pattern()
                    + ", found '" + configuredName + "'");
        }
    }

    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION) StartupEvent event) {
        load();
        if (repository.enabled()) {
            LOG.infof("Bundles may be loaded at run time from the model repository %s", repository.root());
        } else {
            LOG.info("Loading bundles at run time is off: no model repository is configured "
                    + "(sinewich.model.repository)");
        }
    }

    synchronized void onStop(@Observes @Priority(Interceptor.Priority.APPLICATION + 1000) ShutdownEvent event) {
        SinewichModel current = model;
        model = null;
        servedFrom = null;
        if (current != null) {
            current.close();
        }
    }

    private synchronized void load() {
        if (model != null) {
            return;
        }
        DjlSettings.apply(config.inference().threads());
        boolean embedded = config.model().path().isEmpty();
        try {
            Path bundle = embedded ? null : BundleLocation.locate(awaitModelPath(Paths.get(config.model().path().get())));
            model = open(bundle, configuredName);
            servedFrom = bundle == null ? null : bundle.toRealPath();
            DjlSettings.applyThreads(config.inference().threads());
        } catch (BundleException e) {
            throw new BundleRejectedException("cannot serve the bundle " + (embedded ? "embedded in the jar"
                    : config.model().path().get()) + ": " + e.getMessage());
        } catch (IOException e) {
            throw new BundleRejectedException("cannot serve the bundle " + config.model().path().get() + ": "
                    + e.getMessage());
        }
    }

    /** How long start-up waits for the model path when KServe says its files arrive later. */
    static final Duration ASYNC_MODEL_WAIT = Duration.ofMinutes(10);

    /**
     * Returns the model path, first waiting for it to appear when KServe starts the server before
     * the model's files are there ({@code MODEL_INIT_MODE=async}, an OCI model image).
     */
    private static Path awaitModelPath(Path path) {
        if (!"async".equalsIgnoreCase(System.getenv("MODEL_INIT_MODE")) || Files.exists(path)) {
            return path;
        }
        LOG.infof("Waiting up to %d minutes for %s to appear (MODEL_INIT_MODE=async: the model's files arrive "
                + "after the server starts)", ASYNC_MODEL_WAIT.toMinutes(), path);
        try {
            BundleLocation.await(path, ASYNC_MODEL_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return path;
    }

    /**
     * Loads a bundle by path and, once it is validated and warmed up, serves it in place of the
     * current model, under the configured name ({@code sinewich.model.name}) or else the bundle's
     * own; requests already running finish on the old one, which is then freed. If the new bundle
     * fails, the current model keeps serving.
     *
     * @param path the bundle directory or zip, absolute or relative to the model repository
     * @throws ModelRepository.LoadingDisabledException when no repository is configured
     * @throws ModelRepository.RepositoryRefusalException when the path is not a bundle inside it
     * @throws dev.sinewich.serve.bundle.BundleException naming the bundle's problem
     */
    public synchronized void replace(String path) {
        swap(repository.resolve(path), configuredName);
    }

    /**
     * Loads the model repository's entry of that name (the folder {@code <name>} or the zip
     * {@code <name>.zip}) and serves it under that name in place of the current model, exactly as
     * {@link #replace(String)} does.
     *
     * @param name the entry's model name
     * @throws ModelRepository.LoadingDisabledException when no repository is configured
     * @throws ModelRepository.RepositoryRefusalException when there is no such entry
     * @throws ModelRepository.AmbiguousEntryException when both a folder and a zip have that name
     * @throws dev.sinewich.serve.bundle.BundleException naming the bundle's problem
     */
    public synchronized void load(String name) {
        swap(repository.entry(name), name);
    }

    private void swap(Path bundle, String servedName) {
        SinewichModel next;
        loading = bundle;
        try {
            next = open(bundle, servedName);
        } catch (RuntimeException e) {
            failures.put(bundle, reason(e));
            throw e;
        } finally {
            loading = null;
        }
        failures.remove(bundle);
        SinewichModel previous = model;
        model = next;
        servedFrom = bundle;
        if (previous != null) {
            previous.close();
        }
        changed();
    }

    private static String reason(RuntimeException e) {
        return e instanceof BundleException || e instanceof IllegalArgumentException ? e.getMessage()
                : "the bundle failed to load (" + e.getClass().getSimpleName() + "); the server log has the details";
    }

    /**
     * Lists the model repository's entries with their state, as the Open Inference Protocol's
     * repository index does: {@code READY} for the entry being served under its name,
     * {@code LOADING} while it is loaded, else {@code UNAVAILABLE}, with the reason when its last
     * load failed.
     *
     * @param readyOnly list only the entries that are ready
     * @return the entries, in name order
     * @throws ModelRepository.LoadingDisabledException when no repository is configured
     */
    public List<RepositoryModel> index(boolean readyOnly) {
        SinewichModel current = model;
        Path served = current == null ? null : servedFrom;
        String servedName = current == null ? null : current.config().name();
        Path inProgress = loading;
        List<RepositoryModel> index = new ArrayList<>();
        for (ModelRepository.Entry entry : repository.entries()) {
            // ready: this entry's bundle is served, and under the entry's name (a bundle loaded by
            // path is served under another name, and a link's target under the link's)
            boolean ready = entry.path().equals(served) && entry.name().equals(servedName);
            RepositoryModel.State state = ready ? RepositoryModel.State.READY
                    : entry.path().equals(inProgress) ? RepositoryModel.State.LOADING : RepositoryModel.State.UNAVAILABLE;
            if (!readyOnly || state == RepositoryModel.State.READY) {
                index.add(new RepositoryModel(entry.name(), state,
                        state == RepositoryModel.State.UNAVAILABLE ? failures.get(entry.path()) : null));
            }
        }
        return index;
    }

    /**
     * Tells whether the model repository's API is available: a repository is configured.
     *
     * @return true with a repository
     */
    public boolean repositoryEnabled() {
        return repository.enabled();
    }

    /**
     * Calls a listener after every change of the served model (replace, unload), with the model now
     * served or {@code null}.
     *
     * @param listener the listener; it must not throw
     */
    public void onChange(Consumer<SinewichModel> listener) {
        listeners.add(listener);
    }

    private void changed() {
        SinewichModel now = model;
        for (Consumer<SinewichModel> listener : listeners) {
            try {
                listener.accept(now);
            } catch (RuntimeException e) {
                LOG.warn("a model-change listener failed", e);
            }
        }
    }

    /**
     * Stops serving the model; requests already running finish first. Readiness turns false.
     *
     * @throws ModelUnavailableException when nothing is loaded
     */
    public synchronized void unload() {
        SinewichModel previous = model();
        model = null;
        servedFrom = null;
        previous.close();
        LOG.infof("Unloaded model %s", previous.config().name());
        changed();
    }

    /**
     * Stops serving the model of that name, as {@link #unload()} does.
     *
     * @param name the served model's name
     * @throws ModelNotFoundException when the server does not serve a model of that name
     */
    public synchronized void unload(String name) {
        SinewichModel current = model;
        if (current == null) {
            throw new ModelNotFoundException("model '" + name + "' is not loaded; no model is loaded");
        }
        model(name);
        unload();
    }

    private SinewichModel open(Path bundlePath, String servedName) {
        long start = System.nanoTime();
        SinewichModel loaded;
        try (Bundle bundle = bundlePath == null
                ? Bundle.openResource(ModelService.class.getClassLoader(), EMBEDDED)
                : Bundle.open(bundlePath, config.model().maxBundleSize().asLongValue())) {
            loaded = SinewichModel.load(bundle, SinewichModel.selectDevice(config.model().device()), kernelSettings(),
                    new EngineSettings(config.model().engine(), config.inference().threads()), servedName);
        }
        try {
            warmUp(loaded);
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
        SinewichConfig c = loaded.config();
        LOG.infof("Loaded model %s version %s (%d tasks) from %s on %s with engine %s in %d ms; task kernels: %s; "
                + "resident %d MiB", c.name(), c.version(), c.tasks().size(),
                bundlePath == null ? "the embedded default bundle" : bundlePath, loaded.device(), loaded.engine(),
                (System.nanoTime() - start) / 1_000_000, loaded.kernelStats().policy(),
                loaded.memory().total() >> 20);
        if (bundlePath == null) {
            LOG.warn("Serving the embedded default bundle: a small demo model trained only on synthetic scenes "
                    + "(primitives on a ground plane, docs/MODEL.md); it is not meant for real photographs. "
                    + "Set SINEWICH_MODEL_PATH to serve your own bundle.");
        }
        return loaded;
    }

    /** Runs every task once so that the first real request pays no one-time costs. */
    private static void warmUp(SinewichModel model) {
        SinewichConfig c = model.config();
        float[] grey = new float[3 * c.input().height() * c.input().width()];
        java.util.Arrays.fill(grey, 0.5f);
        ImageBatch image = new ImageBatch(1, c.input().height(), c.input().width(), grey);
        List<String> tasks = c.tasks().stream().map(SinewichConfig.Task::name).toList();
        model.predictBatch(List.of(new ForwardItem(image, tasks, Set.of())));
    }

    private KernelSettings kernelSettings() {
        ServingConfig.Kernels k = config.kernels();
        return new KernelSettings(k.policy(), k.budget().asLongValue(), Set.copyOf(k.pin().orElse(List.of())),
                Set.copyOf(k.preload().orElse(List.of())));
    }

    /**
     * Returns the served model.
     *
     * @return the model
     * @throws ModelUnavailableException before start-up has loaded it, after an unload or after shutdown
     */
    public SinewichModel model() {
        SinewichModel current = model;
        if (current == null) {
            throw new ModelUnavailableException("no model is loaded");
        }
        return current;
    }

    /**
     * Returns the served model after checking that it is the one a request names.
     *
     * @param name the model name from the request
     * @return the model
     * @throws ModelNotFoundException when the name is not the served model's
     */
    public SinewichModel model(String name) {
        SinewichModel current = model();
        if (!current.config().name().equals(name)) {
            throw new ModelNotFoundException("unknown model '" + name + "'; this server serves '"
                    + current.config().name() + "'");
        }
        return current;
    }

    /**
     * Tells whether the model is loaded, warmed up and can serve.
     *
     * @return true once loaded and warmed up
     */
    public boolean isReady() {
        return model != null;
    }
}
