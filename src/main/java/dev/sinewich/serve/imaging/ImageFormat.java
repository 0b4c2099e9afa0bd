package dev.sinewich.serve.imaging;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The encoded image formats the server accepts, told apart by their magic bytes rather than by
 * any name or content type the caller gave. Immutable and thread-safe.
 */
public enum ImageFormat {

    /** PNG: 1-, 2-, 4-, 8- or 16-bit grey, grey + alpha, palette, RGB or RGBA. */
    PNG("png"),

    /** Baseline or progressive JPEG, 8-bit grey or YCbCr / RGB. */
    JPEG("jpeg");

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private final String imageIoName;

    ImageFormat(String imageIoName) {
        this.imageIoName = imageIoName;
    }

    /**
     * Returns the format name that {@code javax.imageio} registers its reader and writer under.
     *
     * @return e.g. {@code png}
     */
    public String imageIoName() {
        return imageIoName;
    }

    /**
     * Recognises PNG (its 8-byte signature) and JPEG (FF D8 FF) by their first bytes.
     *
     * @param bytes the encoded file
     * @return the format, or empty when the bytes are neither
     */
    public static Optional<ImageFormat> detect(byte[] bytes) {
        if (startsWith(bytes, PNG_SIGNATURE)) {
            return Optional.of(PNG);
        }
        if (startsWith(bytes, new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff})) {
            return Optional.of(JPEG);
        }
        return Optional.empty();
    }

    /**
     * Names a few common formats the server does not accept, so that a rejection can say what the
     * caller actually sent.
     *
     * @param bytes the encoded file
     * @return e.g. {@code "a GIF file"}, or {@code "not a PNG or JPEG file"} followed by its first
     *     bytes in hex
     */
    static String describeOther(byte[] bytes) {
        String ascii = new String(bytes, 0, Math.min(bytes.length, 12), StandardCharsets.ISO_8859_1);
        if (ascii.startsWith("GIF8")) {
            return "a GIF file";
        }
        if (ascii.startsWith("BM")) {
            return "a BMP file";
        }
        if (ascii.startsWith("RIFF") && ascii.length() >= 12 && ascii.substring(8, 12).equals("WEBP")) {
            return "a WebP file";
        }
        if (ascii.startsWith("II*\0") || ascii.startsWith("MM\0*")) {
            return "a TIFF file";
        }
        if (ascii.length() >= 12 && ascii.substring(4, 8).equals("ftyp")) {
            return "an HEIF/AVIF file";
        }
        StringBuilder hex = new StringBuilder("not a PNG or JPEG file (it starts with");
        for (int i = 0; i < Math.min(bytes.length, 8); i++) {
            hex.append(String.format(" %02X", bytes[i] & 0xff));
        }
        return hex.append(')').toString();
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes == null || bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
