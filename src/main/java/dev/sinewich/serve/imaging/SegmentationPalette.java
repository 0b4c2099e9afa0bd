package dev.sinewich.serve.imaging;

import java.util.ArrayList;
import java.util.List;

/**
 * The PASCAL VOC colour palette: label c's colour spreads c's bits over the three channels, most
 * significant colour bit first (bit 0 of c to red, bit 1 to green, bit 2 to blue, then the next
 * three bits one place lower, and so on). Label 0 is black, 1 dark red (128, 0, 0), 2 dark green,
 * 15 (VOC's person) (192, 128, 128). Fixed and deterministic; labels below 2^24 get distinct
 * colours. Stateless and thread-safe.
 */
public final class SegmentationPalette {

    private SegmentationPalette() {}

    /**
     * Returns a label's colour.
     *
     * @param label the label index, not negative
     * @return the colour as 0xRRGGBB
     * @throws IllegalArgumentException if the label is negative
     */
    public static int rgb(int label) {
        if (label < 0) {
            throw new IllegalArgumentException("segmentation labels are not negative, found " + label);
        }
        int r = 0;
        int g = 0;
        int b = 0;
        int c = label;
        for (int shift = 7; shift >= 0; shift--) {
            r |= (c & 1) << shift;
            g |= ((c >> 1) & 1) << shift;
            b |= ((c >> 2) & 1) << shift;
            c >>>= 3;
        }
        return r << 16 | g << 8 | b;
    }

    /**
     * Returns a label's colour as text.
     *
     * @param label the label index, not negative
     * @return e.g. {@code #800000} for label 1
     * @throws IllegalArgumentException if the label is negative
     */
    public static String hex(int label) {
        return String.format("#%06x", rgb(label));
    }

    /**
     * Builds the legend for a task's label names, in label order.
     *
     * @param names the names of labels 0, 1, …
     * @return one entry per name
     */
    public static List<LegendEntry> legend(List<String> names) {
        List<LegendEntry> entries = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            entries.add(new LegendEntry(i, names.get(i), hex(i)));
        }
        return List.copyOf(entries);
    }
}
