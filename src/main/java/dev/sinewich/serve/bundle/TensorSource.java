package dev.sinewich.serve.bundle;

/** A validated file of named tensors: a bundle, or a task file added at run time. */
public interface TensorSource {

    /**
     * Reads a float tensor, widened to float32 and checked finite.
     *
     * @param name the tensor name
     * @return the values, row-major
     * @throws BundleException if it is missing or not finite
     */
    float[] floats(String name);

    /**
     * Returns a tensor's shape.
     *
     * @param name the tensor name
     * @return the shape
     * @throws BundleException if it is missing
     */
    long[] shape(String name);

    /**
     * Tells whether a task gives explicit frequencies {@code tasks.{t}.omega} (and no tokens).
     *
     * @param task the task name
     * @return true when explicit
     */
    boolean hasExplicitOmega(String task);
}
