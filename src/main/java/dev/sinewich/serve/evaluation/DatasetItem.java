package dev.sinewich.serve.evaluation;

/**
 * One data set item as plain Java arrays: the image and the ground truths the set has (the others
 * are {@code null}). Arrays are handed over, not copied; nobody should modify them. Thread-safe
 * when so handed over.
 *
 * @param id the item id
 * @param height the image height
 * @param width the image width
 * @param rgb the image, planar (3, h, w), values in [0, 1]
 * @param semseg class indices (h, w); the ignore label where unlabelled; or {@code null}
 * @param depth depth in metres (h, w); 0 or non-finite where invalid; or {@code null}
 * @param normals unit normals, planar (3, h, w); all-zero where invalid; or {@code null}
 * @param saliency saliency mask (h, w), values in [0, 1]; or {@code null}
 */
public record DatasetItem(String id, int height, int width, float[] rgb, int[] semseg, float[] depth,
        float[] normals, float[] saliency) {}
