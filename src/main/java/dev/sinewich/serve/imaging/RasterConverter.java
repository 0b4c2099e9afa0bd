package dev.sinewich.serve.imaging;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Copies a decoded image's raster samples to planar RGB floats, exactly: an n-bit sample v becomes
 * v / (2^n − 1) (so 8-bit v / 255, 16-bit v / 65535), palette indices go through the palette's
 * 8-bit entries, grey is copied to R, G and B, and alpha is dropped, never composited. There is no
 * colour management and no gamma: an embedded ICC profile or gAMA chunk changes nothing, which is
 * also why this never calls {@link BufferedImage#getRGB}. Stateless and thread-safe.
 */
final class RasterConverter {

    private RasterConverter() {}

    /**
     * Writes an image's RGB planes into {@code dst} from {@code offset}: red plane, green, blue.
     *
     * @param image the decoded image
     * @param what the format, for messages
     * @param dst the destination, with room for 3 · h · w values from {@code offset}
     * @param offset where the red plane starts
     * @throws ImageFormatException if the image's colour space is neither grey nor RGB, or a
     *     palette index has no palette entry
     */
    static void toPlanarRgb(BufferedImage image, ImageFormat what, float[] dst, int offset) {
        ColorModel cm = image.getColorModel();
        if (cm instanceof IndexColorModel) {
            fromPalette(image.getRaster(), (IndexColorModel) cm, what, dst, offset);
            return;
        }
        Raster raster = image.getRaster();
        int type = cm.getColorSpace().getType();
        int colours = cm.getNumColorComponents();
        if (!(colours == 3 && type == ColorSpace.TYPE_RGB) && !(colours == 1 && type == ColorSpace.TYPE_GRAY)) {
            throw new ImageFormatException(what + " images with " + colours + " colour channels in a "
                    + colourSpaceName(type) + " colour space are not supported; send grey or RGB");
        }
        int dataType = raster.getDataBuffer().getDataType();
        if (dataType != DataBuffer.TYPE_BYTE && dataType != DataBuffer.TYPE_USHORT && dataType != DataBuffer.TYPE_INT) {
            throw new ImageFormatException(what + " images with this sample type are not supported; send 8- or 16-bit");
        }
        int width = raster.getWidth();
        int height = raster.getHeight();
        int plane = width * height;
        int[] row = new int[width];
        for (int band = 0; band < 3; band++) {
            int source = colours == 1 ? 0 : band;
            int bits = raster.getSampleModel().getSampleSize(source);
            if (bits < 1 || bits > 16) {
                throw new ImageFormatException(what + " images with " + bits
                        + "-bit samples are not supported; send 8- or 16-bit");
            }
            float max = (1 << bits) - 1;
            int base = offset + band * plane;
            for (int y = 0; y < height; y++) {
                raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, source, row);
                int at = base + y * width;
                for (int x = 0; x < width; x++) {
                    dst[at + x] = row[x] / max;
                }
            }
        }
    }

    private static void fromPalette(Raster raster, IndexColorModel cm, ImageFormat what, float[] dst, int offset) {
        int entries = cm.getMapSize();
        float[][] lut = new float[3][entries];
        for (int i = 0; i < entries; i++) {
            lut[0][i] = cm.getRed(i) / 255f;
            lut[1][i] = cm.getGreen(i) / 255f;
            lut[2][i] = cm.getBlue(i) / 255f;
        }
        int width = raster.getWidth();
        int height = raster.getHeight();
        int plane = width * height;
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, 0, row);
            int at = offset + y * width;
            for (int x = 0; x < width; x++) {
                int index = row[x];
                if (index < 0 || index >= entries) {
                    throw new ImageFormatException("corrupt " + what + ": pixel (" + x + ", " + y
                            + ") uses palette entry " + index + " but the palette has " + entries);
                }
                dst[at + x] = lut[0][index];
                dst[at + plane + x] = lut[1][index];
                dst[at + 2 * plane + x] = lut[2][index];
            }
        }
    }

    private static String colourSpaceName(int type) {
        switch (type) {
            case ColorSpace.TYPE_CMYK:
                return "CMYK";
            case ColorSpace.TYPE_CMY:
                return "CMY";
            case ColorSpace.TYPE_YCbCr:
                return "YCbCr";
            case ColorSpace.TYPE_GRAY:
                return "grey";
            case ColorSpace.TYPE_RGB:
                return "RGB";
            default:
                return "non-RGB (type " + type + ")";
        }
    }
}
