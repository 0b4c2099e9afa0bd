package dev.sinewich.serve.model.swin;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared part of the HRNet-style decoder (SPEC §4.7): per-stage 1×1 projections, bilinear
 * upsampling to stage 0's size, concatenation and the shared 1×1 fuse convolution. The per-task
 * bias, batch norm and output convolution are each task's head
 * ({@link dev.sinewich.serve.model.TaskRuntime#headTensors()}). It holds weights only; each engine
 * runs or writes it its own way. Immutable and thread-safe.
 */
public final class Decoder {

    private final List<NDArray> down;
    private final NDArray fuse;

    private Decoder(List<NDArray> down, NDArray fuse) {
        this.down = down;
        this.fuse = fuse;
    }

    /**
     * Loads the decoder.
     *
     * @param reader the weight reader
     * @return the decoder, resident
     */
    public static Decoder load(WeightReader reader) {
        List<NDArray> down = new ArrayList<>();
        for (int s = 0; s < reader.bundle().config().stages(); s++) {
            down.add(reader.residentMatrix("decoder.down." + s + ".weight"));
        }
        return new Decoder(List.copyOf(down), reader.residentMatrix("decoder.fuse.weight"));
    }

    /** Frees the weights (another engine holds a copy). */
    public void releaseCopies() {
        down.forEach(NDArray::close);
        fuse.close();
    }

    /**
     * Returns the bytes the decoder keeps.
     *
     * @return the bytes
     */
    public long bytes() {
        return Memory.bytes(down.toArray(new NDArray[0])) + Memory.bytes(fuse);
    }

    /**
     * Returns the per-stage 1×1 projections {@code decoder.down.{s}}.
     *
     * @return one (channels[s], C_s) matrix per stage, resident
     */
    public List<NDArray> downWeights() {
        return down;
    }

    /**
     * Returns the shared 1×1 fuse convolution {@code decoder.fuse}, without bias.
     *
     * @return (hidden, Σ channels), resident
     */
    public NDArray fuseWeight() {
        return fuse;
    }
}
