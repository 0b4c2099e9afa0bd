/**
 * Image files in and out of the server, with plain Java and {@code javax.imageio} only: decoding
 * the PNG and JPEG files of a BYTES {@code image} input (SPEC §5) to exact RGB floats, writing
 * PNGs, and turning one image's model outputs into pictures (segmentation palette and legend,
 * depth colour map and 16-bit millimetre PNG, normals, saliency and edges). Decoding checks a
 * file's declared size against {@link dev.sinewich.serve.imaging.ImageLimits} before it allocates
 * pixels, and every bad file fails with an {@link dev.sinewich.serve.imaging.ImageFormatException}
 * whose message is meant for the caller. No HTTP, gRPC or Quarkus types; everything here is
 * stateless or immutable and thread-safe.
 */
package dev.sinewich.serve.imaging;
