package dev.sinewich.serve.imaging;

import static dev.sinewich.serve.imaging.TestImages.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sinewich.serve.model.OutputTensor;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pictures of model outputs have the output's size and the expected colours at chosen pixels. */
class VisualizerTest {

    private static final ImageLimits LIMITS = ImageLimits.defaults();

    private static int rgbAt(DecodedImage d, int x, int y) {
        int rgb = 0;
        for (int c = 0; c < 3; c++) {
            rgb = rgb << 8 | Math.round(at(d, c, x, y) * 255);
        }
        return rgb;
    }

    private static DecodedImage decode(byte[] png, int height, int width) {
        DecodedImage d = ImageDecoder.decode(png, LIMITS);
        assertEquals(height, d.height());
        assertEquals(width, d.width());
        return d;
    }

    @Test
    void paletteIsPascalVoc() {
        assertEquals(0x000000, SegmentationPalette.rgb(0));
        assertEquals(0x800000, SegmentationPalette.rgb(1));
        assertEquals(0x008000, SegmentationPalette.rgb(2));
        assertEquals(0x808000, SegmentationPalette.rgb(3));
        assertEquals(0x400000, SegmentationPalette.rgb(8));
        assertEquals(0xc08080, SegmentationPalette.rgb(15));
        assertEquals(0x004080, SegmentationPalette.rgb(20));
        assertEquals("#c08080", SegmentationPalette.hex(15));
        Set<Integer> colours = new HashSet<>();
        for (int label = 0; label < 4096; label++) {
            colours.add(SegmentationPalette.rgb(label));
        }
        assertEquals(4096, colours.size(), "distinct colours");
        assertThrows(IllegalArgumentException.class, () -> SegmentationPalette.rgb(-1));
    }

    @Test
    void legendMatchesThePalette() {
        List<LegendEntry> legend = SegmentationPalette.legend(List.of("background", "aeroplane", "bicycle"));
        assertEquals(List.of(new LegendEntry(0, "background", "#000000"), new LegendEntry(1, "aeroplane", "#800000"),
                new LegendEntry(2, "bicycle", "#008000")), legend);
    }

    @Test
    void segmentationPaintsEachLabel() {
        int[] labels = {9, 9, 9, 9, 9, 9, 0, 1, 2, 15, 20, 300};
        OutputTensor t = new OutputTensor("labels", new long[] {2, 2, 3}, null, labels);
        DecodedImage d = decode(Visualizer.segmentation(t, 1), 2, 3);
        int[] expected = {0, 1, 2, 15, 20, 300};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(SegmentationPalette.rgb(expected[i]), rgbAt(d, i % 3, i / 3), "label " + expected[i]);
        }
    }

    @Test
    void depthIsYellowNearAndPurpleFar() {
        float[] depth = {2f, 4f, 3f, Float.NaN, 2f, 2f};
        OutputTensor t = new OutputTensor("depth", new long[] {1, 2, 3}, depth, null);
        DecodedImage d = decode(Visualizer.depth(t, 0), 2, 3);
        assertEquals(0xfde725, rgbAt(d, 0, 0), "nearest is viridis(1)");
        assertEquals(0x440154, rgbAt(d, 1, 0), "farthest is viridis(0)");
        assertEquals(0x21918c, rgbAt(d, 2, 0), "halfway is viridis(0.5)");
        assertEquals(0x000000, rgbAt(d, 0, 1), "NaN is black");
        DecodedImage fixed = decode(Visualizer.depth(t, 0, 0f, 4f), 2, 3);
        assertEquals(ColorMaps.viridis(0.5), rgbAt(fixed, 0, 0));
        assertEquals(0x440154, rgbAt(fixed, 1, 0));
        assertEquals(ColorMaps.viridis(0.25), rgbAt(fixed, 2, 0));
        DecodedImage flat = decode(Visualizer.depth(new OutputTensor("depth", new long[] {1, 1, 2},
                new float[] {5f, 5f}, null), 0), 1, 2);
        assertEquals(0x21918c, rgbAt(flat, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Visualizer.depth(t, 0, 3f, 3f));
    }

    @Test
    void viridisInterpolatesBetweenStops() {
        assertEquals(0x440154, ColorMaps.viridis(-1));
        assertEquals(0xfde725, ColorMaps.viridis(2));
        assertEquals(0x482475, ColorMaps.viridis(0.1));
        int mid = ColorMaps.viridis(0.05);
        assertEquals(0x46, mid >> 16);
        assertEquals(0x13, (mid >> 8) & 0xff);
        assertEquals(0x65, mid & 0xff);
    }

    @Test
    void depthMillimetresIs16BitGrey() {
        float[] depth = {0f, 0f, 1.234f, 0.0004f, 70f, Float.NaN};
        OutputTensor t = new OutputTensor("depth", new long[] {3, 1, 2}, depth, null);
        byte[] png = Visualizer.depthMillimetres(t, 1, Visualizer.millimetresPerUnit("m"));
        assertEquals(16, TestImages.pngDepthAndColourType(png)[0]);
        DecodedImage d = decode(png, 1, 2);
        assertEquals(1234 / 65535f, d.rgb()[0]);
        assertEquals(0f, d.rgb()[1]);
        DecodedImage last = decode(Visualizer.depthMillimetres(t, 2, 1000), 1, 2);
        assertEquals(1f, last.rgb()[0]);
        assertEquals(0f, last.rgb()[1]);
        assertEquals(10, Visualizer.millimetresPerUnit("cm"));
        assertThrows(IllegalArgumentException.class, () -> Visualizer.millimetresPerUnit("furlong"));
    }

    @Test
    void normalsMapMinusOneToOneOntoBytes() {
        float[] n = {1, 0, -1, 0, 0, 1, 0, 0, 0, 0, 0.6f, 0.5f};
        OutputTensor t = new OutputTensor("normals", new long[] {1, 3, 2, 2}, n, null);
        DecodedImage d = decode(Visualizer.normals(t, 0), 2, 2);
        assertEquals(0xff8080, rgbAt(d, 0, 0));
        assertEquals(0x80ff80, rgbAt(d, 1, 0));
        assertEquals(0x0080cc, rgbAt(d, 0, 1), "(-1, 0, 0.6): 0.8 · 255 = 204");
        assertEquals(0x8080bf, rgbAt(d, 1, 1), "(0, 0, 0.5): 0.75 · 255 = 191.25; 0 gives 127.5, rounded up to 0x80");
    }

    @Test
    void saliencyIsGrey() {
        float[] s = {0f, 0.5f, 1f, 0.2f, 1.5f, -0.1f};
        OutputTensor t = new OutputTensor("saliency", new long[] {1, 2, 3}, s, null);
        byte[] png = Visualizer.grey(t, 0);
        assertEquals(0, TestImages.pngDepthAndColourType(png)[1]);
        DecodedImage d = decode(png, 2, 3);
        int[] expected = {0, 128, 255, 51, 255, 0};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i] / 255f, d.rgb()[i], "value " + s[i]);
        }
    }

    @Test
    void wrongTensorsAreRefused() {
        OutputTensor depth = new OutputTensor("depth", new long[] {1, 2, 3}, new float[6], null);
        assertThrows(IllegalArgumentException.class, () -> Visualizer.segmentation(depth, 0));
        assertThrows(IllegalArgumentException.class, () -> Visualizer.normals(depth, 0));
        assertThrows(IllegalArgumentException.class, () -> Visualizer.grey(depth, 1));
        assertThrows(IllegalArgumentException.class, () -> Visualizer.grey(
                new OutputTensor("edges", new long[] {2, 2, 3}, new float[6], null), 1));
    }
}
