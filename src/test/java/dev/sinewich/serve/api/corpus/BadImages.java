package dev.sinewich.serve.api.corpus;

import dev.sinewich.serve.imaging.PatternImages;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;

/** Good and damaged image files for the corpus, made in memory. */
final class BadImages {

    static final int H = 20;
    static final int W = 30;

    private BadImages() {}

    /** A 30 × 20 RGB PNG with a smooth pattern. */
    static byte[] png() {
        return PatternImages.png(H, W);
    }

    /** The same picture as a JPEG. */
    static byte[] jpeg() {
        return PatternImages.jpeg(H, W);
    }

    /** The PNG cut in the middle of its pixel data. */
    static byte[] truncatedPng() {
        byte[] png = png();
        return Arrays.copyOf(png, png.length / 2);
    }

    /** The PNG with its compressed pixel data overwritten (the chunk's CRC no longer matches). */
    static byte[] corruptPng() {
        byte[] png = png();
        int idat = new String(png, StandardCharsets.ISO_8859_1).indexOf("IDAT");
        for (int i = idat + 4; i < Math.min(png.length - 12, idat + 40); i++) {
            png[i] = (byte) 0xa5;
        }
        return png;
    }

    /** The JPEG cut in the middle of its scan data. */
    static byte[] truncatedJpeg() {
        byte[] jpeg = jpeg();
        return Arrays.copyOf(jpeg, jpeg.length / 2);
    }

    /** The JPEG with its Huffman tables overwritten by garbage. */
    static byte[] corruptJpeg() {
        byte[] jpeg = jpeg();
        int dht = marker(jpeg, 0xc4);
        for (int i = dht + 4; i < dht + 40; i++) {
            jpeg[i] = (byte) 0x5a;
        }
        return jpeg;
    }

    /** A small PNG whose header claims 50000 × 50000 pixels, with a correct CRC. */
    static byte[] pngBomb() {
        return pngClaiming(50000, 50000);
    }

    /**
     * A small PNG whose header claims width × height pixels, with a correct CRC: it can be refused
     * from its header, and could not be decoded.
     */
    static byte[] pngClaiming(int width, int height) {
        byte[] bomb = png();
        ByteBuffer.wrap(bomb, 16, 8).putInt(width).putInt(height); // IHDR width and height
        CRC32 crc = new CRC32();
        crc.update(bomb, 12, 17);
        ByteBuffer.wrap(bomb, 29, 4).putInt((int) crc.getValue());
        return bomb;
    }

    /** A small JPEG whose frame header claims 50000 × 50000 pixels. */
    static byte[] jpegBomb() {
        byte[] jpeg = jpeg();
        int sof = marker(jpeg, 0xc0);
        ByteBuffer.wrap(jpeg, sof + 5, 4).putShort((short) 50000).putShort((short) 50000);
        return jpeg;
    }

    /** Bytes that are no image at all. */
    static byte[] text() {
        return "this is not an image, just some text".getBytes(StandardCharsets.UTF_8);
    }

    private static int marker(byte[] jpeg, int code) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xff) == 0xff && (jpeg[i + 1] & 0xff) == code) {
                return i;
            }
        }
        throw new IllegalStateException("no JPEG marker " + Integer.toHexString(code));
    }
}
