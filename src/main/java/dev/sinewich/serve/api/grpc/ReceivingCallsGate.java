package dev.sinewich.serve.api.grpc;

import dev.sinewich.serve.serving.ServingConfig;
import io.grpc.Context;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the bytes of gRPC inference request messages that are still arriving. Until a message
 * is complete, grpc-java holds what has arrived of it (up to
 * {@code quarkus.grpc.server.max-inbound-message-size}) where the memory budget cannot count it yet.
 * The gate counts those bytes as the transport reads them (a stream tracer: grpc-java reports the
 * wire size of a message's body piece by piece) and gives them back when the message is complete
 * or the call ends. A call whose next bytes would take the total past
 * {@code sinewich.limits.max-receiving-grpc-bytes} is closed with RESOURCE_EXHAUSTED; so a stalled
 * sender holds only the few bytes it sent, never a slot that other calls wait for. A call whose
 * first message has not arrived within {@code sinewich.limits.grpc-receive-timeout} is closed with
 * DEADLINE_EXCEEDED. Health, metadata and reflection calls are never counted. Thread-safe.
 */
@ApplicationScoped
@GlobalInterceptor
public class ReceivingCallsGate extends ServerStreamTracer.Factory implements ServerInterceptor {

    /** The calls whose request message may be large (images); the others are never counted. */
    private static final Set<String> INFERENCE = Set.of("inference.GRPCInferenceService/ModelInfer",
            "sinewich.v1.SinewichService/Predict", "sinewich.v1.SinewichService/PredictStream");

    private static final Context.Key<Receiving> RECEIVING = Context.key("sinewich-receiving");
    private static final ServerStreamTracer UNCOUNTED = new ServerStreamTracer() { };

    private final long limit;
    private final Duration timeout;
    private final AtomicLong bytes = new AtomicLong();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sinewich-grpc-receive");
        t.setDaemon(true);
        return t;
    });

    /**
     * Creates the gate.
     *
     * @param config the server settings (the byte limit and the receive timeout)
     * @param registry where the count is published, as {@code sinewich_receiving_grpc_bytes}
     */
    public ReceivingCallsGate(ServingConfig config, MeterRegistry registry) {
        this.limit = config.limits().maxReceivingGrpcBytes().asLongValue();
        this.timeout = config.limits().grpcReceiveTimeout();
        if (limit < 1) {
            throw new IllegalArgumentException("sinewich.limits.max-receiving-grpc-bytes must be positive, found "
                    + limit);
        }
        Gauge.builder("sinewich.receiving.grpc", bytes, AtomicLong::get).baseUnit("bytes")
                .description("Bytes of gRPC inference request messages arriving now, not yet complete "
                        + "(bounded by sinewich.limits.max-receiving-grpc-bytes)").register(registry);
    }

    /**
     * Returns the bytes of inference request messages being received now.
     *
     * @return the count
     */
    public long receivingBytes() {
        return bytes.get();
    }

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        return INFERENCE.contains(fullMethodName) ? new Receiving() : UNCOUNTED;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        Receiving receiving = RECEIVING.get();
        if (receiving == null || !INFERENCE.contains(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers); // small messages: health, metadata, reflection
        }
        receiving.attach(call);
        AtomicBoolean waiting = new AtomicBoolean(true);
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> timer = timers.schedule(() -> {
            if (waiting.compareAndSet(true, false)) {
                timedOut.set(true);
                call.close(Status.DEADLINE_EXCEEDED.withDescription("no request message arrived within "
                        + timeout.toMillis() + " ms (sinewich.limits.grpc-receive-timeout)"), new Metadata());
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        Runnable arrived = () -> {
            if (waiting.compareAndSet(true, false)) {
                timer.cancel(false);
            }
        };
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(call, headers);
        } catch (RuntimeException e) {
            arrived.run();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                arrived.run();
                if (!timedOut.get()) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                arrived.run();
                if (!timedOut.get()) {
                    super.onHalfClose();
                }
            }

            @Override
            public void onCancel() {
                arrived.run();
                super.onCancel();
            }

            @Override
            public void onComplete() {
                arrived.run();
                super.onComplete();
            }
        };
    }

    /**
     * One inference stream's bytes in the count: those of its message now arriving. Transport
     * threads report bytes; the call's own thread attaches the call.
     */
    private final class Receiving extends ServerStreamTracer {
        private long held;
        private boolean ended;
        private boolean refused;
        private ServerCall<?, ?> call;

        @Override
        public Context filterContext(Context context) {
            return context.withValue(RECEIVING, this);
        }

        synchronized void attach(ServerCall<?, ?> serverCall) {
            call = serverCall;
            if (refused) {
                refuse(serverCall);
            }
        }

        @Override
        public void inboundWireSize(long size) {
            ServerCall<?, ?> toClose = null;
            synchronized (this) {
                if (ended || refused) {
                    return;
                }
                held += size;
                if (bytes.addAndGet(size) > limit) {
                    refused = true;
                    toClose = call;
                }
            }
            if (toClose != null) {
                refuse(toClose);
            }
        }

        @Override
        public void inboundMessageRead(int seqNo, long optionalWireSize, long optionalUncompressedSize) {
            release(false); // complete: from here on the memory budget counts it
        }

        @Override
        public void streamClosed(Status status) {
            release(true);
        }

        private synchronized void release(boolean end) {
            bytes.addAndGet(-held);
            held = 0;
            ended |= end;
        }

        private void refuse(ServerCall<?, ?> serverCall) {
            // closed off the transport thread that is reading the stream
            timers.execute(() -> serverCall.close(Status.RESOURCE_EXHAUSTED.withDescription(
                    "the server is receiving " + limit + " bytes of gRPC request messages already "
                            + "(sinewich.limits.max-receiving-grpc-bytes); retry later"), new Metadata()));
        }
    }

    @PreDestroy
    void stop() {
        timers.shutdownNow();
    }
}
