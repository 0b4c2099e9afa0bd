package dev.sinewich.serve.bench.load;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * A reproducible request mix: each request draws, from one seeded generator, its surface, its task
 * (or, for the native surfaces, two tasks in one pass with probability {@code multiTaskShare}) and
 * one of the pre-made images of the configured sizes. The same seed gives the same sequence.
 * Thread-safe ({@link #next()} is synchronized).
 */
public final class Workload {

    /** One image in its two encodings: PNG for the native surfaces, raw RGB bytes for OIP. */
    public record Image(int width, int height, byte[] png, byte[] rgb) {}

    /** One request to send. */
    public record Shot(Api api, List<String> tasks, Image image) {}

    private final Random random;
    private final List<Api> apis;
    private final List<String> tasks;
    private final List<Image> images;
    private final double multiTaskShare;

    private Workload(long seed, List<Api> apis, List<String> tasks, List<Image> images, double multiTaskShare) {
        this.random = new Random(seed);
        this.apis = List.copyOf(apis);
        this.tasks = List.copyOf(tasks);
        this.images = List.copyOf(images);
        this.multiTaskShare = multiTaskShare;
    }

    /**
     * Builds a mix.
     *
     * @param seed the seed of the request sequence and of the images' content
     * @param apis the surfaces, drawn uniformly
     * @param tasks the model's tasks, drawn uniformly
     * @param sizes image sizes as {width, height}, drawn uniformly
     * @param multiTaskShare the share of native requests that ask for two tasks
     * @return the mix
     */
    public static Workload of(long seed, List<Api> apis, List<String> tasks, List<int[]> sizes, double multiTaskShare) {
        Random pixels = new Random(seed ^ 0x5DEECE66DL);
        List<Image> images = new ArrayList<>();
        for (int[] s : sizes) {
            images.add(image(s[0], s[1], pixels));
        }
        return new Workload(seed, apis, tasks, images, multiTaskShare);
    }

    /**
     * Parses sizes such as {@code 64x64,320x240}.
     *
     * @param text the sizes, width x height
     * @return {width, height} pairs
     */
    public static List<int[]> sizes(String text) {
        List<int[]> out = new ArrayList<>();
        for (String s : text.split(",")) {
            String[] wh = s.trim().split("x");
            out.add(new int[] {Integer.parseInt(wh[0]), Integer.parseInt(wh[1])});
        }
        return out;
    }

    /**
     * Draws the next request.
     *
     * @return the request
     */
    public synchronized Shot next() {
        Api api = apis.get(random.nextInt(apis.size()));
        Image image = images.get(random.nextInt(images.size()));
        String first = tasks.get(random.nextInt(tasks.size()));
        if (api != Api.REST_OIP && tasks.size() > 1 && random.nextDouble() < multiTaskShare) {
            String second = tasks.get(random.nextInt(tasks.size()));
            return new Shot(api, second.equals(first) ? List.of(first) : List.of(first, second), image);
        }
        return new Shot(api, List.of(first), image);
    }

    /**
     * Returns the tasks the mix draws from.
     *
     * @return the tasks
     */
    public List<String> tasks() {
        return tasks;
    }

    /**
     * Returns the surfaces the mix draws from.
     *
     * @return the surfaces
     */
    public List<Api> apis() {
        return apis;
    }

    /**
     * Returns the images the mix draws from.
     *
     * @return the images
     */
    public List<Image> images() {
        return images;
    }

    /** A smooth scene (gradients and discs) with a little noise, so that PNG sizes are realistic. */
    private static Image image(int width, int height, Random random) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        byte[] rgb = new byte[width * height * 3];
        int cx = random.nextInt(width);
        int cy = random.nextInt(height);
        int radius = Math.max(4, Math.min(width, height) / 4);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                boolean disc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius;
                int r = disc ? 220 : 255 * x / Math.max(1, width - 1);
                int g = disc ? 40 : 255 * y / Math.max(1, height - 1);
                int b = 96 + random.nextInt(32);
                int i = (y * width + x) * 3;
                rgb[i] = (byte) r;
                rgb[i + 1] = (byte) g;
                rgb[i + 2] = (byte) b;
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Image(width, height, png.toByteArray(), rgb);
    }
}
