package dev.sinewich.serve.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * An opened and fully validated model bundle (SPEC §1–3): the configuration plus a memory-mapped
 * view of its tensors. Every tensor the configuration needs is present with its exact shape and a
 * float type, no other tensor is present, and optional position-index buffers hold the computed
 * index. Values are checked to be finite when they are read. Not thread-safe; close it after
 * loading to release the file (and the temporary copy of a zip bundle).
 */
public final class Bundle implements TensorSource, AutoCloseable {

    /** The tensor file inside a bundle. */
    public static final String WEIGHTS = "model.safetensors";

    private final SinewichConfig config;
    private final SafetensorsFile weights;
    private final Set<String> omegaTasks;
    private final Path tempDir;

    private Bundle(SinewichConfig config, SafetensorsFile weights, Set<String> omegaTasks, Path tempDir) {
        this.config = config;
        this.weights = weights;
        this.omegaTasks = omegaTasks;
        this.tempDir = tempDir;
    }

    /** The most bytes a zipped bundle may unpack to unless told otherwise: 4 GiB. */
    public static final long DEFAULT_MAX_UNPACKED_BYTES = 4L << 30;

    /**
     * Opens a bundle directory or a {@code .zip} of its contents and validates it.
     *
     * @param path the directory or zip file
     * @return the bundle
     * @throws BundleException naming the file, key or tensor, and what was expected and found
     */
    public static Bundle open(Path path) {
        return open(path, DEFAULT_MAX_UNPACKED_BYTES);
    }

    /**
     * Opens a bundle directory or a {@code .zip} of its contents and validates it, unpacking at
     * most {@code maxUnpackedBytes} from a zip (unpacking stops there).
     *
     * @param path the directory or zip file
     * @param maxUnpackedBytes the most bytes a zip may unpack to
     * @return the bundle
     * @throws BundleException naming the file, key or tensor, and what was expected and found
     */
    public static Bundle open(Path path, long maxUnpackedBytes) {
        if (Files.isDirectory(path)) {
            return openDirectory(path, null);
        }
        if (!Files.isRegularFile(path)) {
            throw new BundleException(path + ": expected a bundle directory or a .zip file, found nothing");
        }
        Path temp = extractZip(path, maxUnpackedBytes);
        try {
            return openDirectory(temp, temp);
        } catch (RuntimeException e) {
            deleteTree(temp);
            throw e;
        }
    }

    /**
     * Opens a bundle shipped as classpath resources (a folder holding {@code sinewich.json} and
     * {@code model.safetensors}, such as the jar's embedded default bundle) and validates it. The
     * files are copied to a temporary directory that {@link #close()} deletes.
     *
     * @param loader the class loader that sees the resources
     * @param folder the resource folder, ending with {@code /}
     * @return the bundle
     * @throws BundleException when a file is missing or the bundle is invalid
     */
    public static Bundle openResource(ClassLoader loader, String folder) {
        Path temp;
        try {
            temp = Files.createTempDirectory("sinewich-bundle-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            for (String file : new String[] {ConfigParser.FILE, WEIGHTS}) {
                try (InputStream in = loader.getResourceAsStream(folder + file)) {
                    if (in == null) {
                        throw new BundleException(folder + file + ": expected on the classpath, found nothing");
                    }
                    Files.copy(in, temp.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return openDirectory(temp, temp);
        } catch (IOException e) {
            deleteTree(temp);
            throw new BundleException(folder + ": cannot be copied from the classpath: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteTree(temp);
            throw e;
        }
    }

    private static Bundle openDirectory(Path dir, Path tempDir) {
        Path configFile = dir.resolve(ConfigParser.FILE);
        Path weightsFile = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(configFile)) {
            throw new BundleException(ConfigParser.FILE + ": expected in the bundle, found nothing");
        }
        if (!Files.isRegularFile(weightsFile)) {
            throw new BundleException(WEIGHTS + ": expected in the bundle, found nothing");
        }
        SinewichConfig config;
        try {
            config = ConfigParser.parse(Files.readAllBytes(configFile));
        } catch (IOException e) {
            throw new BundleException(ConfigParser.FILE + ": cannot be read: " + e.getMessage(), e);
        }
        SafetensorsFile weights = SafetensorsFile.open(weightsFile, WEIGHTS);
        try {
            Set<String> omegaTasks = new HashSet<>();
            for (SinewichConfig.Task task : config.tasks()) {
                if (weights.tensors().containsKey(TensorCatalog.omegaName(task.name()))) {
                    omegaTasks.add(task.name());
                }
            }
            validate(config, weights, omegaTasks);
            return new Bundle(config, weights, Set.copyOf(omegaTasks), tempDir);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    private static void validate(SinewichConfig config, SafetensorsFile weights, Set<String> omegaTasks) {
        Map<String, long[]> required = TensorCatalog.required(config, omegaTasks);
        Map<String, SafetensorsFile.TensorInfo> found = weights.tensors();
        TensorCatalog.checkRequired(weights, WEIGHTS, required);
        Set<String> positionIndexes = new LinkedHashSet<>();
        for (int s = 0; s < config.stages(); s++) {
            for (int j = 0; j < config.backbone().depths().get(s); j++) {
                positionIndexes.add(TensorCatalog.positionIndexName(s, j));
            }
        }
        for (SafetensorsFile.TensorInfo info : found.values()) {
            String name = info.name();
            if (required.containsKey(name)) {
                continue;
            }
            if (!positionIndexes.contains(name)) {
                throw new BundleException(WEIGHTS + ": tensor " + name + " is not used by this configuration "
                        + "(unused tensors are an error: check the task names, targets and stage count)");
            }
            checkPositionIndex(weights, info, config.backbone().windowSize());
        }
    }

    private static void checkPositionIndex(SafetensorsFile weights, SafetensorsFile.TensorInfo info, int window) {
        long[] expected = TensorCatalog.relativePositionIndex(window);
        if (info.shape().length != 1 || info.shape()[0] != expected.length) {
            throw new BundleException(WEIGHTS + ": tensor " + info.name() + ": expected shape ("
                    + expected.length + ",), found " + info.shapeText());
        }
        long[] actual;
        if (info.dtype() == SafetensorsFile.Dtype.F32) {
            float[] f = weights.readFloats(info.name());
            actual = new long[f.length];
            for (int i = 0; i < f.length; i++) {
                actual[i] = (long) f[i];
                if (actual[i] != f[i]) {
                    actual[i] = -1;
                }
            }
        } else if (info.dtype() == SafetensorsFile.Dtype.I64) {
            actual = weights.readLongs(info.name());
        } else {
            throw new BundleException(WEIGHTS + ": tensor " + info.name() + ": expected I64 or F32, found "
                    + info.dtype());
        }
        for (int i = 0; i < expected.length; i++) {
            if (actual[i] != expected[i]) {
                throw new BundleException(WEIGHTS + ": tensor " + info.name() + ": element " + i
                        + ": expected the computed relative position index " + expected[i] + ", found "
                        + actual[i]);
            }
        }
    }

    private static Path extractZip(Path zip, long maxUnpackedBytes) {
        Path temp;
        try {
            temp = Files.createTempDirectory("sinewich-bundle-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> seen = new HashSet<>();
        long unpacked = 0;
        try (InputStream in = Files.newInputStream(zip); ZipInputStream zin = new ZipInputStream(in)) {
            ZipEntry entry;
            while ((entry = zin.getNextEntry()) != null) {
                String name = entry.getName();
                if (entry.isDirectory() || name.startsWith("__MACOSX/")) {
                    continue;
                }
                if (!name.equals(ConfigParser.FILE) && !name.equals(WEIGHTS)) {
                    throw new BundleException(zip.getFileName() + ": entry " + name + ": expected only "
                            + ConfigParser.FILE + " and " + WEIGHTS + " at the top level of the zip");
                }
                if (!seen.add(name)) {
                    throw new BundleException(zip.getFileName() + ": entry " + name + " appears twice");
                }
                unpacked += copy(zin, temp.resolve(name), maxUnpackedBytes - unpacked);
                if (unpacked > maxUnpackedBytes) {
                    throw new BundleException(zip.getFileName() + ": unpacks to more than " + maxUnpackedBytes
                            + " bytes, the limit for a bundle (sinewich.model.max-bundle-size)");
                }
            }
        } catch (IOException e) {
            deleteTree(temp);
            throw new BundleException(zip.getFileName() + ": expected a bundle directory or a readable zip, "
                    + "found an unreadable file", e);
        } catch (RuntimeException e) {
            deleteTree(temp);
            throw e;
        }
        return temp;
    }

    /**
     * Copies an entry to a file, stopping one byte past {@code room}.
     *
     * @return the bytes written (more than room when the entry is larger)
     */
    private static long copy(InputStream in, Path target, long room) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(target)) {
            int n;
            while (written <= room && (n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                written += n;
            }
        }
        return written;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary copy left behind wastes disk but does not affect serving
        }
    }

    /**
     * Returns the validated configuration.
     *
     * @return the configuration
     */
    public SinewichConfig config() {
        return config;
    }

    /**
     * Tells whether a task has explicit frequencies in the file (and so no Clock Net tokens).
     *
     * @param task the task name
     * @return true when {@code tasks.{t}.omega} is present
     */
    @Override
    public boolean hasExplicitOmega(String task) {
        return omegaTasks.contains(task);
    }

    /**
     * Tells whether the bundle has Clock Net weights (some task has no explicit ω).
     *
     * @return true when {@code clock.*} tensors are present
     */
    public boolean hasClockNet() {
        return weights.tensors().containsKey("clock.0.weight");
    }

    @Override
    public float[] floats(String name) {
        return weights.readFloats(name);
    }

    @Override
    public long[] shape(String name) {
        return weights.shape(name);
    }

    @Override
    public void close() {
        weights.close();
        if (tempDir != null) {
            deleteTree(tempDir);
        }
    }
}
