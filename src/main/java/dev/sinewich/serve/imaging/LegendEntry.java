package dev.sinewich.serve.imaging;

/**
 * One row of a segmentation legend: a label index, its name and its colour in the palette of
 * {@link SegmentationPalette}. Immutable and thread-safe.
 *
 * @param index the label index, as in the {@code labels} output
 * @param name the label's name from the bundle's config
 * @param rgbHex the colour as {@code #rrggbb}, lower case
 */
public record LegendEntry(int index, String name, String rgbHex) {
}
