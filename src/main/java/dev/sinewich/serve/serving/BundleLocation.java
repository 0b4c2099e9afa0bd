package dev.sinewich.serve.serving;

import dev.sinewich.serve.bundle.BundleException;
import dev.sinewich.serve.bundle.ConfigParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds the bundle in the configured model path ({@code sinewich.model.path}, KServe's
 * {@code --model_dir}): a zip, a bundle directory (it holds {@code sinewich.json}), or a folder
 * that holds exactly one of those, as KServe's storage initializer leaves {@code /mnt/models} when
 * the storage URI names the bundle's parent or the zip. Hidden entries are not considered.
 */
public final class BundleLocation {

    private BundleLocation() {
    }

    /**
     * Locates the bundle.
     *
     * @param configured the configured path
     * @return the bundle directory or zip
     * @throws BundleException when the path does not exist, or a folder holds no bundle or several
     */
    public static Path locate(Path configured) {
        if (!Files.exists(configured)) {
            throw new BundleException(configured + " does not exist");
        }
        if (!Files.isDirectory(configured) || isBundleDirectory(configured)) {
            return configured;
        }
        List<Path> candidates;
        try (Stream<Path> children = Files.list(configured)) {
            candidates = children.filter(c -> !c.getFileName().toString().startsWith("."))
                    .filter(c -> isBundleDirectory(c) || isZip(c)).sorted().toList();
        } catch (IOException e) {
            throw new BundleException(configured + " cannot be listed: " + e.getMessage(), e);
        }
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        if (candidates.isEmpty()) {
            throw new BundleException(configured + " holds no bundle: expected " + ConfigParser.FILE
                    + " there, or one bundle directory or .zip inside it");
        }
        throw new BundleException(configured + " holds " + candidates.size() + " bundles ("
                + String.join(", ", candidates.stream().map(c -> c.getFileName().toString()).toList())
                + "); name one of them in the model path");
    }

    /**
     * Waits for the model path to exist, as KServe asks a runtime to when it sets
     * {@code MODEL_INIT_MODE=async}: an OCI model image's files (a "modelcar") appear in
     * {@code /mnt/models} only once its sidecar runs, which may be after the server starts.
     *
     * @param configured the configured path
     * @param limit how long to wait at most
     * @return true once it exists; false when the limit passed first
     * @throws InterruptedException when the waiting thread is interrupted
     */
    public static boolean await(Path configured, Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (!Files.exists(configured)) {
            if (System.nanoTime() - end >= 0) {
                return false;
            }
            Thread.sleep(200);
        }
        return true;
    }

    private static boolean isBundleDirectory(Path p) {
        return Files.isDirectory(p) && Files.isRegularFile(p.resolve(ConfigParser.FILE));
    }

    private static boolean isZip(Path p) {
        return Files.isRegularFile(p) && p.getFileName().toString().endsWith(".zip");
    }
}
