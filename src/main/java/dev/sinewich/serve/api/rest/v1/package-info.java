/**
 * The native REST API under {@code /v1}: model and task listings, and {@code predict}, which takes
 * an image file as it is (raw PNG/JPEG body or a multipart upload), runs one or several tasks on
 * it in one forward pass, and answers with JSON summaries, a picture (PNG), depth in millimetres
 * (16-bit PNG) or a NumPy array. Failures are mapped by {@link dev.sinewich.serve.api.Failure}
 * like every other surface.
 */
package dev.sinewich.serve.api.rest.v1;
