package dev.sinewich.serve.serving;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import io.quarkus.runtime.configuration.MemorySize;
import java.util.List;
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

    /**
     * Returns the task-kernel settings.
     *
     * @return the kernel settings
     */
    Kernels kernels();

    /**
     * Returns the request limits.
     *
     * @return the limits
     */
    Limits limits();

    /**
     * Returns the gRPC server's connection settings.
     *
     * @return the settings
     */
    Grpc grpc();

    /** How long gRPC connections live. */
    interface Grpc {
        /**
         * Returns how long a gRPC connection may live before the server asks the client to reconnect
         * (HTTP/2 GOAWAY): clients then resolve the service again, so pods an autoscaler adds get
         * traffic from long-lived clients too. 0 keeps connections for ever.
         *
         * @return the maximum connection age
         */
        @WithDefault("5m")
        Duration maxConnectionAge();

        /**
         * Returns how long calls still running on a connection past its age may go on before the
         * connection is closed under them (a stream open longer than age + grace is cut and must be
         * reopened).
         *
         * @return the grace period
         */
        @WithDefault("2m")
        Duration maxConnectionAgeGrace();
    }

    /** What one request may carry. */
    interface Limits {
        /**
         * Returns the most pixels one encoded image may declare in its header (checked before decoding).
         *
         * @return the pixel limit
         */
        @WithDefault("16777216")
        long maxImagePixels();

        /**
         * Returns the most bytes one encoded image may have.
         *
         * @return the byte limit
         */
        @WithDefault("32M")
        MemorySize maxImageBytes();

        /**
         * Returns the most pixels (N·h·w over every image) one request may carry, whatever its
         * route or encoding: checked from the tensor's shape or the files' headers before any pixel
         * buffer is allocated. A request's images take 12 bytes per pixel as floats.
         *
         * @return the pixel limit per request
         */
        @WithDefault("16777216")
        long maxRequestPixels();

        /**
         * Returns the most output values (channels · N · h · w over every output asked for) one
         * request may produce, checked before it runs: probabilities of many classes at a large
         * size would otherwise take gigabytes. 4 bytes each.
         *
         * @return the output value limit per request
         */
        @WithDefault("67108864")
        long maxOutputValues();

        /**
         * Returns how long a client may leave a request body unfinished without sending a byte
         * before it gets 408 and its connection is closed.
         *
         * @return the read timeout
         */
        @WithDefault("5s")
        Duration bodyReadTimeout();

        /**
         * Returns the most bytes of request bodies the server holds at once (being read, or read and
         * not yet answered); a body that would go past it gets 429.
         *
         * @return the limit
         */
        @WithDefault("128M")
        MemorySize maxInflightBodyBytes();

        /**
         * Returns the most memory the decoded images and outputs of all requests in flight may take
         * together (estimated per request from its image sizes and output values, see
         * {@link TensorBudget}): reserved before any pixel buffer is allocated and before a request
         * is queued, given back once it is answered. A request that does not fit beside the others
         * gets 429 / RESOURCE_EXHAUSTED; one that could never fit 413 / INVALID_ARGUMENT.
         *
         * @return the limit
         */
        @WithDefault("768M")
        MemorySize maxInflightTensorBytes();

        /**
         * Returns the most bytes of gRPC inference request messages that may be arriving at once:
         * until a message is complete, what has arrived of it (up to
         * {@code quarkus.grpc.server.max-inbound-message-size}) is held where
         * {@link #maxInflightTensorBytes()} cannot count it yet. A call whose next bytes would pass
         * it gets RESOURCE_EXHAUSTED; a stalled sender holds only what it sent.
         *
         * @return the limit
         */
        @WithDefault("256M")
        MemorySize maxReceivingGrpcBytes();

        /**
         * Returns how long a gRPC request message may take to arrive whole, from the call's start
         * for the first message and from its first byte for a later PredictStream frame, before its
         * call is closed with DEADLINE_EXCEEDED, so that stalled senders give back what they hold.
         * A total, not an idle time: 64 MiB take 30 s at about 2 MB/s.
         *
         * @return the receive timeout
         */
        @WithDefault("30s")
        Duration grpcReceiveTimeout();
    }

    /** How per-task weights are provided. */
    interface Kernels {
        /**
         * Returns the policy: {@code auto}, {@code on-the-fly} or {@code cache}.
         *
         * @return the policy
         */
        @WithDefault("auto")
        String policy();

        /**
         * Returns the cache's budget for materialised task weights.
         *
         * @return the budget
         */
        @WithDefault("512M")
        MemorySize budget();

        /**
         * Returns the tasks the cache never evicts.
         *
         * @return the pinned tasks
         */
        Optional<List<String>> pin();

        /**
         * Returns the tasks the cache materialises at start-up.
         *
         * @return the preloaded tasks
         */
        Optional<List<String>> preload();
    }

    /** Which bundle to serve and where. */
    interface Model {
        /**
         * Returns the bundle directory or zip; absent means the small bundle shipped in the jar.
         *
         * @return the path, if configured
         */
        Optional<String> path();

        /**
         * Returns the name the start-up bundle (and a bundle loaded by path through {@code /admin})
         * is served under, in place of the bundle's own name: the model name KServe assigns
         * ({@code --model_name}). A bundle loaded by name from the model repository is served
         * under that name. Absent means the bundle's own name.
         *
         * @return the served name, if configured
         */
        Optional<String> name();

        /**
         * Returns the device choice: {@code auto} (a GPU when PyTorch sees one), {@code cpu} or {@code gpu}.
         *
         * @return the device choice
         */
        @WithDefault("auto")
        String device();

        /**
         * Returns the engine that runs the network: {@code auto} (ONNX Runtime on a CPU, PyTorch on
         * a GPU), {@code onnxruntime} or {@code pytorch}.
         *
         * @return the engine choice
         */
        @WithDefault("auto")
        String engine();

        /**
         * Returns the model repository: the folder that bundles loaded at run time (the admin API)
         * must come from. Absent means bundles cannot be loaded at run time.
         *
         * @return the repository root, if configured
         */
        Optional<String> repository();

        /**
         * Returns the most bytes a zipped bundle may unpack to; unpacking stops there.
         *
         * @return the limit
         */
        @WithDefault("1G")
        MemorySize maxBundleSize();
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
         * Returns the most rows (image × task) one forward pass takes.
         *
         * @return the batch limit
         */
        @WithDefault("8")
        int maxBatchSize();

        /**
         * Returns how long a pass's first request waits for others to join it.
         *
         * @return the batching delay
         */
        @WithDefault("5ms")
        Duration maxDelay();

        /**
         * Returns the longest deadline a request may ask for.
         *
         * @return the deadline cap
         */
        @WithDefault("10m")
        Duration maxTimeout();

        /**
         * Returns how many accepted requests may wait for a worker; beyond it requests are refused at once.
         *
         * @return the queue capacity
         */
        @WithDefault("32")
        int queueCapacity();

        /**
         * Returns the engine's intra-op thread count (ONNX Runtime's sessions, libtorch's pool); 0
         * leaves each engine's default (one per core).
         *
         * @return the thread count
         */
        @WithDefault("0")
        int threads();

        /**
         * Returns the longest a request may take from acceptance to result when it names no deadline.
         *
         * @return the timeout
         */
        @WithDefault("60s")
        Duration timeout();
    }
}
