package dev.sinewich.serve.imaging;

import dev.sinewich.serve.model.OutputTensor;
import java.util.Locale;

/**
 * Turns one image's model outputs (SPEC §4.8) into PNG pictures: segmentation labels through
 * {@link SegmentationPalette}, depth through viridis with near pixels yellow and far ones dark
 * purple (or as a 16-bit PNG in millimetres), unit normals as RGB = (n + 1) / 2 · 255, and
 * saliency or edge probabilities as grey = v · 255. 8-bit values are rounded half up and clamped
 * to [0, 255]. Outputs carry their batch dimension; {@code image} picks one. Stateless and
 * thread-safe.
 */
public final class Visualizer {

    private Visualizer() {}

    /**
     * Draws a segmentation as an RGB PNG, one palette colour per label.
     *
     * @param labels the INT32 {@code labels} output, (N, h, w)
     * @param image which image of the batch
     * @return the PNG file, w × h
     * @throws IllegalArgumentException if the tensor has another type or rank, the index is out
     *     of range, or a label is negative
     */
    public static byte[] segmentation(OutputTensor labels, int image) {
        Plane p = Plane.of(labels, image, 1, true);
        byte[] rgb = new byte[3 * p.size];
        for (int i = 0; i < p.size; i++) {
            int colour = SegmentationPalette.rgb(labels.ints()[p.offset + i]);
            rgb[i] = (byte) (colour >> 16);
            rgb[p.size + i] = (byte) (colour >> 8);
            rgb[2 * p.size + i] = (byte) colour;
        }
        return PngWriter.rgb8(p.height, p.width, rgb);
    }

    /**
     * Draws depth with viridis over the image's own finite depth range: its nearest pixels are
     * yellow, its farthest dark purple. A flat image is all the middle colour; NaN and infinite
     * depths are black.
     *
     * @param depth the FP32 {@code depth} output, (N, h, w)
     * @param image which image of the batch
     * @return the RGB PNG file, w × h
     * @throws IllegalArgumentException if the tensor has another type or rank, or the index is out of range
     */
    public static byte[] depth(OutputTensor depth, int image) {
        Plane p = Plane.of(depth, image, 1, false);
        float near = Float.POSITIVE_INFINITY;
        float far = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < p.size; i++) {
            float d = depth.floats()[p.offset + i];
            if (Float.isFinite(d)) {
                near = Math.min(near, d);
                far = Math.max(far, d);
            }
        }
        return colourDepth(depth.floats(), p, near, far);
    }

    /**
     * Draws depth with viridis over a fixed range, so that pictures of several images compare:
     * depth {@code near} (and nearer) is yellow, {@code far} (and farther) dark purple; NaN and
     * infinite depths are black.
     *
     * @param depth the FP32 {@code depth} output, (N, h, w)
     * @param image which image of the batch
     * @param near the depth drawn yellow, in the output's unit
     * @param far the depth drawn dark purple, greater than {@code near}
     * @return the RGB PNG file, w × h
     * @throws IllegalArgumentException if the range is empty, the tensor has another type or rank,
     *     or the index is out of range
     */
    public static byte[] depth(OutputTensor depth, int image, float near, float far) {
        if (!(near < far) || !Float.isFinite(near) || !Float.isFinite(far)) {
            throw new IllegalArgumentException("depth range needs finite near < far, found " + near + " and " + far);
        }
        return colourDepth(depth.floats(), Plane.of(depth, image, 1, false), near, far);
    }

    /**
     * Writes depth as a 16-bit grey PNG in millimetres: each sample is depth · millimetresPerUnit
     * rounded half up and clamped to [0, 65535] (so at most 65.535 m), NaN as 0.
     *
     * @param depth the FP32 {@code depth} output, (N, h, w)
     * @param image which image of the batch
     * @param millimetresPerUnit e.g. 1000 for a bundle whose depth unit is "m"; see {@link #millimetresPerUnit}
     * @return the PNG file, w × h
     * @throws IllegalArgumentException if the factor is not positive, the tensor has another type
     *     or rank, or the index is out of range
     */
    public static byte[] depthMillimetres(OutputTensor depth, int image, double millimetresPerUnit) {
        if (!(millimetresPerUnit > 0) || Double.isInfinite(millimetresPerUnit)) {
            throw new IllegalArgumentException("millimetres per unit must be positive, found " + millimetresPerUnit);
        }
        Plane p = Plane.of(depth, image, 1, false);
        return PngWriter.grey16(p.height, p.width, depth.floats(), p.offset, millimetresPerUnit);
    }

    /**
     * Returns how many millimetres one depth unit of a bundle's config is.
     *
     * @param unit the task's {@code unit}: {@code m}, {@code cm} or {@code mm}
     * @return 1000, 10 or 1
     * @throws IllegalArgumentException for any other unit
     */
    public static double millimetresPerUnit(String unit) {
        switch (unit == null ? "" : unit.toLowerCase(Locale.ROOT)) {
            case "m":
                return 1000;
            case "cm":
                return 10;
            case "mm":
                return 1;
            default:
                throw new IllegalArgumentException("unknown depth unit '" + unit + "'; known units are m, cm and mm");
        }
    }

    /**
     * Draws unit normals as RGB = (n + 1) / 2 · 255: x to red, y to green, z to blue.
     *
     * @param normals the FP32 {@code normals} output, (N, 3, h, w)
     * @param image which image of the batch
     * @return the PNG file, w × h
     * @throws IllegalArgumentException if the tensor has another type or rank, or the index is out of range
     */
    public static byte[] normals(OutputTensor normals, int image) {
        Plane p = Plane.of(normals, image, 3, false);
        byte[] rgb = new byte[3 * p.size];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) to8Bit((normals.floats()[p.offset + i] + 1) / 2);
        }
        return PngWriter.rgb8(p.height, p.width, rgb);
    }

    /**
     * Draws a map of values in [0, 1], such as saliency or edges, as grey = v · 255.
     *
     * @param map the FP32 output, (N, h, w)
     * @param image which image of the batch
     * @return the 8-bit grey PNG file, w × h
     * @throws IllegalArgumentException if the tensor has another type or rank, or the index is out of range
     */
    public static byte[] grey(OutputTensor map, int image) {
        Plane p = Plane.of(map, image, 1, false);
        byte[] grey = new byte[p.size];
        for (int i = 0; i < p.size; i++) {
            grey[i] = (byte) to8Bit(map.floats()[p.offset + i]);
        }
        return PngWriter.grey8(p.height, p.width, grey);
    }

    private static byte[] colourDepth(float[] depth, Plane p, float near, float far) {
        byte[] rgb = new byte[3 * p.size];
        double span = (double) far - near;
        for (int i = 0; i < p.size; i++) {
            float d = depth[p.offset + i];
            if (!Float.isFinite(d)) {
                continue;
            }
            int colour = ColorMaps.viridis(span > 0 ? (far - (double) d) / span : 0.5);
            rgb[i] = (byte) (colour >> 16);
            rgb[p.size + i] = (byte) (colour >> 8);
            rgb[2 * p.size + i] = (byte) colour;
        }
        return PngWriter.rgb8(p.height, p.width, rgb);
    }

    /** Maps [0, 1] to a byte, rounding half up; NaN is 0. */
    private static int to8Bit(double v) {
        double x = v * 255;
        return Double.isNaN(x) || x <= 0 ? 0 : x >= 255 ? 255 : (int) Math.floor(x + 0.5);
    }

    /** Where one image's planes lie in a batch output, after checking the tensor's layout. */
    private static final class Plane {
        final int height;
        final int width;
        final int size;
        final int offset;

        private Plane(int height, int width, int offset) {
            this.height = height;
            this.width = width;
            this.size = height * width;
            this.offset = offset;
        }

        static Plane of(OutputTensor t, int image, int channels, boolean ints) {
            long[] s = t.shape();
            boolean typed = ints ? t.ints() != null : t.floats() != null;
            int rank = channels == 1 ? 3 : 4;
            if (!typed || s.length != rank || rank == 4 && s[1] != channels) {
                throw new IllegalArgumentException("output '" + t.name() + "' " + t + " is not "
                        + (ints ? "INT32" : "FP32") + (rank == 3 ? " (N, h, w)" : " (N, " + channels + ", h, w)"));
            }
            if (image < 0 || image >= s[0]) {
                throw new IllegalArgumentException("image " + image + " is not in a batch of " + s[0]);
            }
            long h = s[rank - 2];
            long w = s[rank - 1];
            long offset = image * channels * h * w;
            if (h < 1 || w < 1 || offset + channels * h * w > t.size()) {
                throw new IllegalArgumentException("output '" + t.name() + "' " + t + " holds " + t.size()
                        + " values, too few for its shape");
            }
            return new Plane((int) h, (int) w, (int) offset);
        }
    }
}
