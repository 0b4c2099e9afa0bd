package dev.sinewich.serve.imaging;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * Small RGB test pictures with a smooth pattern, so that a model's outputs vary over the image;
 * shared by the API tests and the bad-input corpus.
 */
public final class PatternImages {

    private PatternImages() {}

    /**
     * An RGB PNG of the pattern.
     *
     * @param height the height in pixels
     * @param width the width in pixels
     * @return the PNG file
     */
    public static byte[] png(int height, int width) {
        byte[] planar = new byte[3 * height * width];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    planar[(c * height + y) * width + x] = (byte) ((x * 8 + y * 5 + c * 70) % 256);
                }
            }
        }
        return PngWriter.rgb8(height, width, planar);
    }

    /**
     * The same picture as a baseline JPEG.
     *
     * @param height the height in pixels
     * @param width the width in pixels
     * @return the JPEG file
     */
    public static byte[] jpeg(int height, int width) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png(height, width)));
            BufferedImage rgb = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
            rgb.getGraphics().drawImage(image, 0, 0, null);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(rgb, "jpeg", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
