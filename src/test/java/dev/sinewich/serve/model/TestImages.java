package dev.sinewich.serve.model;

import java.util.Random;

/** Seeded test images and output values for the model tests. */
final class TestImages {

    private TestImages() {}

    /** N random RGB images in [0, 1), reproducible by seed. */
    static ImageBatch random(int n, int h, int w, long seed) {
        Random r = new Random(seed);
        float[] p = new float[n * 3 * h * w];
        for (int i = 0; i < p.length; i++) {
            p[i] = r.nextFloat();
        }
        return new ImageBatch(n, h, w, p);
    }

    /** An output's values as floats, whether FP32 or INT32. */
    static float[] values(OutputTensor out) {
        if (out.floats() != null) {
            return out.floats();
        }
        float[] f = new float[out.ints().length];
        for (int i = 0; i < f.length; i++) {
            f[i] = out.ints()[i];
        }
        return f;
    }
}
