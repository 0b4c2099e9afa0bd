package dev.sinewich.serve.serving;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The folder that bundles loaded at run time must come from ({@code sinewich.model.repository}):
 * a requested path, absolute or relative to the root, is resolved with its symbolic links and
 * {@code ..} first and must then lie inside the root and be a directory or a regular file, outside
 * {@code /proc}. Every refusal has the same message, which names no server path and does not tell
 * whether something exists. With no root configured, bundles cannot be loaded at run time at all.
 *
 * <p>Its entries, as the Open Inference Protocol's repository extension names them: every
 * sub-folder {@code <name>/} and every zip {@code <name>.zip} directly under the root whose name is
 * a {@linkplain #NAME model name} and whose real path stays inside the root. Immutable and
 * thread-safe.
 */
public final class ModelRepository {

    /** The one answer to a path that is not a loadable bundle inside the repository. */
    public static final String REFUSAL = "not a bundle inside the model repository";

    /** A model name: what an entry's name and a served name must match. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private static final String ZIP = ".zip";

    private static final Path PROC = Path.of("/proc");

    private final Path root;

    private ModelRepository(Path root) {
        this.root = root;
    }

    /**
     * Opens the configured root.
     *
     * @param configured the root, or empty for none
     * @return the repository; {@link #enabled()} is false without a root
     * @throws IllegalStateException when a root is configured but is not a readable directory
     */
    public static ModelRepository of(Optional<String> configured) {
        if (configured.isEmpty() || configured.get().isBlank()) {
            return new ModelRepository(null);
        }
        try {
            Path root = Path.of(configured.get()).toRealPath();
            if (!Files.isDirectory(root) || root.startsWith(PROC)) {
                throw new IllegalStateException("sinewich.model.repository must be a directory, found "
                        + configured.get());
            }
            return new ModelRepository(root);
        } catch (IOException | InvalidPathException e) {
            throw new IllegalStateException("sinewich.model.repository must be a readable directory, found "
                    + configured.get() + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Tells whether bundles may be loaded at run time.
     *
     * @return true when a root is configured
     */
    public boolean enabled() {
        return root != null;
    }

    /**
     * Returns the root, for the start-up log.
     *
     * @return the root's real path
     * @throws LoadingDisabledException without a root
     */
    public Path root() {
        if (root == null) {
            throw new LoadingDisabledException();
        }
        return root;
    }

    /**
     * Resolves a requested bundle path inside the repository.
     *
     * @param requested a path absolute or relative to the root
     * @return the bundle's real path: a directory or a regular file inside the root
     * @throws LoadingDisabledException without a root
     * @throws RepositoryRefusalException ({@link #REFUSAL}) for any other path
     */
    public Path resolve(String requested) {
        Path base = root();
        if (requested == null || requested.isBlank() || requested.indexOf('\0') >= 0) {
            throw new RepositoryRefusalException();
        }
        Path real;
        BasicFileAttributes attributes;
        try {
            real = base.resolve(requested).toRealPath();
            attributes = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | InvalidPathException | SecurityException e) {
            throw new RepositoryRefusalException();
        }
        if (real.equals(base) || !real.startsWith(base) || real.startsWith(PROC)
                || !(attributes.isDirectory() || attributes.isRegularFile())) {
            throw new RepositoryRefusalException();
        }
        return real;
    }

    /**
     * Resolves an entry by its model name: the folder {@code <name>} or the zip {@code <name>.zip}
     * directly under the root, with the same confinement as {@link #resolve(String)}.
     *
     * @param name the model name
     * @return the entry's real path
     * @throws LoadingDisabledException without a root
     * @throws RepositoryRefusalException ({@link #REFUSAL}) when the name is not a model name or no
     *     such entry is inside the root
     * @throws AmbiguousEntryException when both {@code <name>} and {@code <name>.zip} exist
     */
    public Path entry(String name) {
        root();
        if (name == null || !NAME.matcher(name).matches() || name.endsWith(ZIP)) {
            throw new RepositoryRefusalException();
        }
        Path folder = entryOrNull(name);
        Path zip = entryOrNull(name + ZIP);
        if (folder != null && zip != null) {
            throw new AmbiguousEntryException(name);
        }
        if (folder == null && zip == null) {
            throw new RepositoryRefusalException();
        }
        return folder != null ? folder : zip;
    }

    /**
     * Lists the entries, by name: each folder and zip under the root that {@link #entry(String)}
     * would load, in name order. A name with both a folder and a zip is listed once, with the
     * folder.
     *
     * @return the entries
     * @throws LoadingDisabledException without a root
     * @throws java.io.UncheckedIOException when the root cannot be listed
     */
    public List<Entry> entries() {
        Path base = root();
        TreeMap<String, Path> found = new TreeMap<>();
        try (Stream<Path> children = Files.list(base)) {
            children.forEach(child -> {
                String file = child.getFileName().toString();
                String name = file.endsWith(ZIP) ? file.substring(0, file.length() - ZIP.length()) : file;
                if (!NAME.matcher(name).matches() || name.endsWith(ZIP)) {
                    return;
                }
                Path real = entryOrNull(file);
                if (real != null) {
                    found.merge(name, real, (a, b) -> Files.isDirectory(a) ? a : b);
                }
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list the model repository", e);
        }
        List<Entry> entries = new ArrayList<>();
        found.forEach((name, real) -> entries.add(new Entry(name, real)));
        return entries;
    }

    /**
     * Resolves a file name directly under the root as an entry: a folder, or a zip when the name
     * ends with {@code .zip}; null for anything else or outside the root.
     */
    private Path entryOrNull(String file) {
        Path real;
        try {
            real = resolve(file);
        } catch (RepositoryRefusalException e) {
            return null;
        }
        return (file.endsWith(ZIP) ? Files.isRegularFile(real) : Files.isDirectory(real)) ? real : null;
    }

    /**
     * One entry of the repository.
     *
     * @param name its model name
     * @param path its real path: a folder or a zip inside the root
     */
    public record Entry(String name, Path path) {}

    /** Loading bundles at run time is off: no repository root is configured. */
    public static final class LoadingDisabledException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        LoadingDisabledException() {
            super("loading bundles at run time is off: no model repository is configured "
                    + "(sinewich.model.repository)", null, false, false);
        }
    }

    /** A path that is not a loadable bundle inside the repository; the message is always {@link #REFUSAL}. */
    public static final class RepositoryRefusalException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        /** Creates the refusal. */
        public RepositoryRefusalException() {
            super(REFUSAL, null, false, false);
        }
    }

    /** Both {@code <name>} and {@code <name>.zip} are in the repository: loading by name would be a guess. */
    public static final class AmbiguousEntryException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        AmbiguousEntryException(String name) {
            super("the model repository holds both '" + name + "' and '" + name + ".zip'; remove one of them",
                    null, false, false);
        }
    }
}
