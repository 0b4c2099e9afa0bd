package dev.sinewich.serve.serving;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * Server settings under the {@code sinewich.} prefix; each can also be set by environment variable
 * (e.g. {@code SINEWICH_MODEL_PATH}).
 */
@ConfigMapping(prefix = "sinewich")
public interface ServingConfig {

    /**
     * Returns the model settings.
     *
     * @return the model settings
     */
    Model model();

    /**
     * Returns the inference execution settings.
     *
     * @return the execution settings
     */
    Inference inference();

    /** Which bundle to serve and where. */
    interface Model {
        /**
         * Returns the bundle directory or zip; absent means the small bundle shipped in the jar.
         *
         * @return the path, if configured
         */
        Optional<String> path();

        /**
         * Returns the device choice: {@code auto} (a GPU when PyTorch sees one), {@code cpu} or {@code gpu}.
         *
         * @return the device choice
         */
        @WithDefault("auto")
        String device();
    }

    /** How forward passes are executed. */
    interface Inference {
        /**
         * Returns the number of forward passes that may run at once.
         *
         * @return the worker count
         */
        @WithDefault("1")
        int workers();

        /**
         * Returns how many accepted requests may wait for a worker; beyond it requests are refused at once.
         *
         * @return the queue capacity
         */
        @WithDefault("32")
        int queueCapacity();

        /**
         * Returns the PyTorch intra-op thread count; 0 leaves PyTorch's default (one per core).
         *
         * @return the thread count
         */
        @WithDefault("0")
        int threads();

        /**
         * Returns the longest a request may take from acceptance to result.
         *
         * @return the timeout
         */
        @WithDefault("60s")
        Duration timeout();
    }
}
