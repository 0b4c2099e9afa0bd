package dev.sinewich.serve.serving;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * The folder that bundles loaded at run time must come from ({@code sinewich.model.repository}):
 * a requested path, absolute or relative to the root, is resolved with its symbolic links and
 * {@code ..} first and must then lie inside the root and be a directory or a regular file, outside
 * {@code /proc}. Every refusal has the same message, which names no server path and does not tell
 * whether something exists. With no root configured, bundles cannot be loaded at run time at all.
 * Immutable and thread-safe.
 */
public final class ModelRepository {

    /** The one answer to a path that is not a loadable bundle inside the repository. */
    public static final String REFUSAL = "not a bundle inside the model repository";

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
}
