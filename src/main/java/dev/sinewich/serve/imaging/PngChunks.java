package dev.sinewich.serve.imaging;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Walks a PNG's chunks and checks what {@code javax.imageio} does not: that every chunk lies
 * inside the file, that its CRC matches, and that the file reaches its IEND chunk. ImageIO's
 * reader skips CRCs and stops once it has the pixels it needs, so without this a file cut just
 * before its end, or with a flipped bit in the pixel data, could decode without complaint.
 * Bytes after IEND are ignored, as other decoders do. Stateless and thread-safe.
 */
final class PngChunks {

    private static final int SIGNATURE = 8;

    private PngChunks() {}

    /**
     * Checks the chunk structure of a file that starts with the PNG signature.
     *
     * @param png the file
     * @throws ImageFormatException naming the first damaged chunk, or the missing IEND
     */
    static void verify(byte[] png) {
        int at = SIGNATURE;
        CRC32 crc = new CRC32();
        while (true) {
            if (png.length - at < 12) {
                throw new ImageFormatException("truncated or corrupt PNG: the file ends at byte " + png.length
                        + " before its IEND chunk");
            }
            long length = readInt(png, at) & 0xffffffffL;
            String type = new String(png, at + 4, 4, StandardCharsets.ISO_8859_1);
            if (length > png.length - at - 12L) {
                throw new ImageFormatException("truncated or corrupt PNG: chunk " + printable(type) + " at byte " + at
                        + " declares " + length + " bytes but the file ends at byte " + png.length);
            }
            crc.reset();
            crc.update(png, at + 4, 4 + (int) length);
            int stored = readInt(png, at + 8 + (int) length);
            if ((int) crc.getValue() != stored) {
                throw new ImageFormatException("truncated or corrupt PNG: chunk " + printable(type) + " at byte " + at
                        + " fails its CRC check");
            }
            if (type.equals("IEND")) {
                return;
            }
            at += 12 + (int) length;
        }
    }

    private static int readInt(byte[] bytes, int at) {
        return (bytes[at] & 0xff) << 24 | (bytes[at + 1] & 0xff) << 16
                | (bytes[at + 2] & 0xff) << 8 | (bytes[at + 3] & 0xff);
    }

    private static String printable(String type) {
        return type.chars().allMatch(c -> c >= 'A' && c <= 'z') ? type : "(unreadable type)";
    }
}
