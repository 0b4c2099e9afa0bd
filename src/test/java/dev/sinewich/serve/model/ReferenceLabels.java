package dev.sinewich.serve.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compares segmentation labels with the reference's where its top-2 probability margin leaves no
 * doubt (a near-tie may flip with the last bit of float arithmetic); shared by the conformance and
 * API tests.
 */
public final class ReferenceLabels {

    private ReferenceLabels() {}

    /**
     * Asserts equal labels at every pixel whose reference margin is above the tolerance, and that
     * such pixels are more than half of the image.
     *
     * @param what what is compared, for messages
     * @param expected the reference labels
     * @param actual the labels found
     * @param margin the reference's top-2 probability margin per pixel
     * @param tolerance the margin below which a pixel is not compared
     */
    public static void assertConfidentLabels(String what, long[] expected, int[] actual, float[] margin,
            float tolerance) {
        assertEquals(expected.length, actual.length, what + " length");
        int compared = 0;
        for (int i = 0; i < expected.length; i++) {
            if (margin[i] > tolerance) {
                compared++;
                assertEquals(expected[i], actual[i], what + " at " + i + " (margin " + margin[i] + ")");
            }
        }
        assertTrue(compared > expected.length / 2, what + ": too few confident pixels to compare");
    }
}
