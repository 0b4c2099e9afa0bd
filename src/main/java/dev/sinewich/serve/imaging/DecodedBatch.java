package dev.sinewich.serve.imaging;

import dev.sinewich.serve.model.ImageBatch;

/**
 * N decoded images of one size as RGB floats in [0, 1], laid out (N, 3, h, w) row-major, ready to
 * become an {@link ImageBatch}. The array is not copied: the record hands it over and nobody
 * should modify it afterwards. Thread-safe when so handed over.
 *
 * @param count N, at least 1
 * @param height h, at least 1
 * @param width w, at least 1
 * @param pixels N · 3 · h · w values
 */
public record DecodedBatch(int count, int height, int width, float[] pixels) {

    /**
     * Checks that the array matches the dimensions.
     *
     * @throws IllegalArgumentException if it does not
     */
    public DecodedBatch {
        if (count < 1 || height < 1 || width < 1 || pixels == null
                || pixels.length != 3L * count * height * width) {
            throw new IllegalArgumentException("decoded batch of " + count + " images " + width + "x" + height
                    + " needs " + 3L * count * height * width + " values, found "
                    + (pixels == null ? 0 : pixels.length));
        }
    }

    /**
     * Hands the pixels over to the model as an image batch, without copying them.
     *
     * @return the batch
     */
    public ImageBatch toImageBatch() {
        return new ImageBatch(count, height, width, pixels);
    }
}
