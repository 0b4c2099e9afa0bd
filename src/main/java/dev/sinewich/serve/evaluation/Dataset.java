package dev.sinewich.serve.evaluation;

import dev.sinewich.serve.arrays.Npy;
import dev.sinewich.serve.arrays.NpyArray;
import dev.sinewich.serve.imaging.DecodedImage;
import dev.sinewich.serve.imaging.ImageDecoder;
import dev.sinewich.serve.imaging.ImageFormat;
import dev.sinewich.serve.imaging.ImageFormatException;
import dev.sinewich.serve.imaging.ImageLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;

/**
 * A {@code sinewich-dataset/v1} directory: {@code dataset.json} plus, per item id,
 * {@code images/{id}.png} and one file per ground truth ({@code semseg/{id}.png},
 * {@code depth/{id}.npy}, {@code normals/{id}.npy}, {@code saliency/{id}.png}). Items are read
 * one at a time, on demand; every ground truth must match its image's size. Immutable and
 * thread-safe.
 */
public final class Dataset {

    private static final ImageLimits LIMITS = new ImageLimits(ImageLimits.DEFAULT_MAX_PIXELS,
            ImageLimits.DEFAULT_MAX_PIXELS, ImageLimits.DEFAULT_MAX_BYTES, EnumSet.of(ImageFormat.PNG));

    private final Path dir;
    private final DatasetManifest manifest;
    private final double metresPerUnit;

    private Dataset(Path dir, DatasetManifest manifest, double metresPerUnit) {
        this.dir = dir;
        this.manifest = manifest;
        this.metresPerUnit = metresPerUnit;
    }

    /**
     * Opens a data set directory and validates its manifest and folders; items are read later.
     *
     * @param dir the directory
     * @return the data set
     * @throws DatasetException naming what is missing or wrong
     */
    public static Dataset open(Path dir) {
        Path file = dir.resolve(DatasetManifest.FILE);
        if (!Files.isRegularFile(file)) {
            throw new DatasetException(dir + ": expected a data set directory with " + DatasetManifest.FILE
                    + ", found none");
        }
        DatasetManifest manifest;
        try {
            manifest = DatasetManifest.parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot be read: " + e.getMessage(), e);
        }
        double metres = 1.0;
        if (manifest.has(DatasetTask.DEPTH)) {
            try {
                metres = DepthUnits.metresPer(manifest.depthUnit(), "the data set");
            } catch (IllegalArgumentException e) {
                throw new DatasetException(DatasetManifest.FILE + ": depth_unit: " + e.getMessage());
            }
        }
        if (!Files.isDirectory(dir.resolve("images"))) {
            throw new DatasetException(dir + ": the images folder is missing");
        }
        for (DatasetTask task : manifest.tasks()) {
            if (!Files.isDirectory(dir.resolve(task.jsonName()))) {
                throw new DatasetException(dir + ": tasks lists " + task.jsonName() + " but its folder is missing");
            }
        }
        return new Dataset(dir, manifest, metres);
    }

    /**
     * Returns the directory.
     *
     * @return the path
     */
    public Path dir() {
        return dir;
    }

    /**
     * Returns the validated manifest.
     *
     * @return the manifest
     */
    public DatasetManifest manifest() {
        return manifest;
    }

    /**
     * Returns the number of items.
     *
     * @return the item count
     */
    public int size() {
        return manifest.items().size();
    }

    /**
     * Reads one item: its image and every ground truth the set has.
     *
     * @param index the item's position in {@code items}
     * @return the item
     * @throws DatasetException naming the file that is missing, unreadable, of the wrong size or
     *     holding invalid values
     */
    public DatasetItem read(int index) {
        String id = manifest.items().get(index);
        DecodedImage image = png("images", id);
        int h = image.height();
        int w = image.width();
        int[] semseg = null;
        float[] depth = null;
        float[] normals = null;
        float[] saliency = null;
        if (manifest.has(DatasetTask.SEMSEG)) {
            semseg = labels(id, grey("semseg", id, h, w));
        }
        if (manifest.has(DatasetTask.DEPTH)) {
            depth = npy("depth", id, new long[] {h, w});
            if (metresPerUnit != 1.0) {
                for (int i = 0; i < depth.length; i++) {
                    depth[i] = (float) (depth[i] * metresPerUnit);
                }
            }
        }
        if (manifest.has(DatasetTask.NORMALS)) {
            normals = npy("normals", id, new long[] {3, h, w});
        }
        if (manifest.has(DatasetTask.SALIENCY)) {
            saliency = grey("saliency", id, h, w);
        }
        return new DatasetItem(id, h, w, image.rgb(), semseg, depth, normals, saliency);
    }

    private int[] labels(String id, float[] grey) {
        int[] out = new int[grey.length];
        int classes = manifest.labels().size();
        for (int i = 0; i < grey.length; i++) {
            float scaled = grey[i] * 255f;
            int v = Math.round(scaled);
            if (Math.abs(scaled - v) > 1e-3f || (v >= classes && v != manifest.ignoreLabel())) {
                throw new DatasetException("semseg/" + id + ".png: pixel " + i + " holds " + scaled
                        + ", neither a class index below " + classes + " nor the ignore label "
                        + manifest.ignoreLabel());
            }
            out[i] = v;
        }
        return out;
    }

    private float[] grey(String folder, String id, int h, int w) {
        DecodedImage image = png(folder, id);
        String name = folder + "/" + id + ".png";
        if (image.height() != h || image.width() != w) {
            throw new DatasetException(name + ": expected " + w + "x" + h + " like its image, found "
                    + image.width() + "x" + image.height());
        }
        float[] rgb = image.rgb();
        int plane = h * w;
        for (int i = 0; i < plane; i++) {
            if (rgb[i] != rgb[plane + i] || rgb[i] != rgb[2 * plane + i]) {
                throw new DatasetException(name + ": expected a grey image, found colour at pixel " + i);
            }
        }
        return Arrays.copyOf(rgb, plane);
    }

    private DecodedImage png(String folder, String id) {
        Path file = dir.resolve(folder).resolve(id + ".png");
        try {
            return ImageDecoder.decode(Files.readAllBytes(file), LIMITS);
        } catch (IOException e) {
            throw new DatasetException(folder + "/" + id + ".png: cannot be read: " + e.getMessage(), e);
        } catch (ImageFormatException e) {
            throw new DatasetException(folder + "/" + id + ".png: " + e.getMessage(), e);
        }
    }

    private float[] npy(String folder, String id, long[] shape) {
        Path file = dir.resolve(folder).resolve(id + ".npy");
        String name = folder + "/" + id + ".npy";
        NpyArray array;
        try {
            array = Npy.readFloats(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new DatasetException(name + ": cannot be read: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new DatasetException(name + ": " + e.getMessage(), e);
        }
        if (!Arrays.equals(array.shape(), shape)) {
            throw new DatasetException(name + ": expected shape " + Arrays.toString(shape) + " to match its image, found "
                    + Arrays.toString(array.shape()));
        }
        return array.values();
    }
}
