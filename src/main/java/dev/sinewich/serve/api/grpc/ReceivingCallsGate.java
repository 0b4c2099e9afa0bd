package dev.sinewich.serve.api.grpc;

import dev.sinewich.serve.serving.ServingConfig;
import io.grpc.Context;
import io.grpc.ForwardingServerCall;
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
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the bytes of gRPC inference request messages that are still arriving. Until a message
 * is complete, grpc-java holds what has arrived of it (up to
 * {@code quarkus.grpc.server.max-inbound-message-size}) where the memory budget cannot count it yet.
 * The gate counts those bytes as the transport reads them (a stream tracer: grpc-java reports the
 * wire size of a message's body piece by piece) and gives them back when the message is complete
 * or the call ends. A call whose next bytes would take the total past
 * {@code sinewich.limits.max-receiving-grpc-bytes} fails in the transport with RESOURCE_EXHAUSTED
 * (its message is never delivered); so a stalled sender holds only the few bytes it sent, never a
 * slot that other calls wait for. A message that has not arrived whole within
 * {@code sinewich.limits.grpc-receive-timeout} (counted from the call's start for the first, from
 * its first byte for a later stream frame) closes its call with DEADLINE_EXCEEDED; bytes of a
 * second message on a unary call are refused. Health, metadata and reflection calls are never
 * counted. Thread-safe.
 */
@ApplicationScoped
@Startup
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
    private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> {
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
        timers.setRemoveOnCancelPolicy(true);
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
        return INFERENCE.contains(fullMethodName) ? new Receiving(!fullMethodName.endsWith("/PredictStream"))
                : UNCOUNTED;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        Receiving receiving = RECEIVING.get();
        if (receiving == null) {
            return next.startCall(call, headers); // not an inference call: health, metadata, reflection
        }
        GatedCall<Q, R> gated = new GatedCall<>(call);
        receiving.attach(gated);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(gated, headers)) {
            @Override
            public void onMessage(Q message) {
                if (!gated.closedByGate()) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                if (!gated.closedByGate()) {
                    super.onHalfClose();
                }
            }
        };
    }

    /**
     * One inference stream in the count: the bytes of its message now arriving, and the clock
     * that gives that message {@link #timeout} to arrive (from the call's start for the first one,
     * from its first byte for later stream frames). Transport threads report bytes; the call's
     * thread attaches the call; the timer thread expires it.
     */
    private final class Receiving extends ServerStreamTracer {
        private final boolean unary;
        private long held;
        private int messages;
        private boolean ended;
        private GatedCall<?, ?> call;
        private ScheduledFuture<?> timer;

        Receiving(boolean unary) {
            this.unary = unary;
        }

        @Override
        public Context filterContext(Context context) {
            return context.withValue(RECEIVING, this);
        }

        synchronized void attach(GatedCall<?, ?> gated) {
            call = gated;
            if (!ended && messages == 0) {
                arm();
            }
        }

        /**
         * Counts bytes of the message arriving. Throwing here fails the stream in the transport
         * (grpc-java's deframer reports it as the call's status, as for an oversized message), so
         * the message is never delivered and the application is told by a cancellation.
         */
        @Override
        public synchronized void inboundWireSize(long size) {
            if (ended || size <= 0) {
                return;
            }
            if (unary && messages > 0) {
                throw Status.INVALID_ARGUMENT.withDescription("a unary call takes one request message")
                        .asRuntimeException();
            }
            long now;
            do {
                now = bytes.get();
                if (now + size > limit) {
                    throw Status.RESOURCE_EXHAUSTED.withDescription("the server is receiving " + now
                            + " bytes of gRPC request messages already and may hold at most " + limit
                            + " (sinewich.limits.max-receiving-grpc-bytes); retry later").asRuntimeException();
                }
            } while (!bytes.compareAndSet(now, now + size));
            if (held == 0) {
                arm(); // a message's first bytes: its clock starts (the first one's runs from the call's start)
            }
            held += size;
        }

        @Override
        public synchronized void inboundMessageRead(int seqNo, long optionalWireSize, long optionalUncompressedSize) {
            // complete: from here on the memory budget counts it
            bytes.addAndGet(-held);
            held = 0;
            messages++;
            disarm();
        }

        @Override
        public synchronized void streamClosed(Status status) {
            bytes.addAndGet(-held);
            held = 0;
            ended = true;
            disarm();
        }

        private void arm() {
            if (timer == null || timer.isDone()) {
                timer = timers.schedule(this::expire, timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        }

        private void disarm() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }

        private void expire() {
            GatedCall<?, ?> toClose;
            synchronized (this) {
                boolean waiting = messages == 0 || held > 0;
                if (ended || !waiting || call == null) {
                    return;
                }
                toClose = call;
            }
            toClose.closeByGate(Status.DEADLINE_EXCEEDED.withDescription("no complete request message arrived "
                    + "within " + timeout.toMillis() + " ms (sinewich.limits.grpc-receive-timeout)"));
        }
    }

    /**
     * The call as the application sees it: its sends and close, and the gate's close, take one
     * lock, and whatever comes after the first close is dropped (grpc-java's calls are not
     * thread-safe, and a second close throws).
     */
    private static final class GatedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private boolean closed;
        private boolean byGate;

        GatedCall(ServerCall<Q, R> call) {
            super(call);
        }

        synchronized boolean closedByGate() {
            return byGate;
        }

        synchronized void closeByGate(Status status) {
            if (!closed) {
                closed = true;
                byGate = true;
                super.close(status, new Metadata());
            }
        }

        @Override
        public synchronized void sendHeaders(Metadata headers) {
            if (!closed) {
                super.sendHeaders(headers);
            }
        }

        @Override
        public synchronized void sendMessage(R message) {
            if (!closed) {
                super.sendMessage(message);
            }
        }

        @Override
        public synchronized void close(Status status, Metadata trailers) {
            if (!closed) {
                closed = true;
                super.close(status, trailers);
            }
        }
    }

    @PreDestroy
    void stop() {
        timers.shutdownNow();
    }
}
