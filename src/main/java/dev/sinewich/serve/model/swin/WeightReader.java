package dev.sinewich.serve.model.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sinewich.serve.bundle.Bundle;

/**
 * Copies bundle tensors into NDArrays owned by a given manager, for the network's layers to load
 * from. Not thread-safe (a bundle is read by one thread at load).
 */
public final class WeightReader {

    private final Bundle bundle;
    private final NDManager resident;

    /**
     * Creates a reader.
     *
     * @param bundle the validated bundle
     * @param resident the manager that owns what the model keeps
     */
    public WeightReader(Bundle bundle, NDManager resident) {
        this.bundle = bundle;
        this.resident = resident;
    }

    /** Returns the bundle being read. */
    Bundle bundle() {
        return bundle;
    }

    /** Returns the manager that owns resident weights. */
    NDManager resident() {
        return resident;
    }

    /**
     * Reads a tensor into the resident manager.
     *
     * @param name the tensor name
     * @return the array, resident
     */
    NDArray resident(String name) {
        return read(name, resident);
    }

    /**
     * Reads a tensor, dropping trailing 1×1 dimensions of a 1×1 convolution weight.
     *
     * @param name a (out, in, 1, 1) tensor
     * @return the (out, in) array, resident
     */
    NDArray residentMatrix(String name) {
        long[] shape = bundle.shape(name);
        return resident.create(bundle.floats(name), new Shape(shape[0], shape[1]));
    }

    /**
     * Reads a tensor into a given manager.
     *
     * @param name the tensor name
     * @param owner the manager that owns the array
     * @return the array
     */
    NDArray read(String name, NDManager owner) {
        return owner.create(bundle.floats(name), new Shape(bundle.shape(name)));
    }

    /**
     * Reads a tensor as plain floats.
     *
     * @param name the tensor name
     * @return the values, row-major
     */
    float[] floats(String name) {
        return bundle.floats(name);
    }
}
