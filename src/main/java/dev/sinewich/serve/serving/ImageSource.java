package dev.sinewich.serve.serving;

import dev.sinewich.serve.imaging.ImageLimits;
import dev.sinewich.serve.model.ImageBatch;

/**
 * A request's images as its API received them (encoded files or raw tensors), read only once the
 * request has been checked against the model, so that a request for an unknown model or task never
 * costs a decode.
 */
@FunctionalInterface
public interface ImageSource {

    /**
     * Checks and decodes the images.
     *
     * @param limits the server's image limits for this request: they reserve the images in the
     *     request's memory lease as soon as their size is known, before any pixel buffer exists
     * @return the images, all of one size
     * @throws dev.sinewich.serve.model.InvalidInputException naming what is wrong (an
     *     {@link dev.sinewich.serve.imaging.ImageTooLargeException} for an oversized image)
     */
    ImageBatch read(ImageLimits limits);
}
