package dev.sinewich.serve.api.grpc;

import dev.sinewich.serve.serving.ServingConfig;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the gRPC inference calls whose request message is still arriving: each may hold up to
 * {@code quarkus.grpc.server.max-inbound-message-size} bytes while it is received, before the
 * memory budget can count it, so at most {@code sinewich.limits.max-receiving-grpc-calls} are
 * received at once (more get RESOURCE_EXHAUSTED before anything is read), and a call whose first
 * message has not arrived within {@code sinewich.limits.grpc-receive-timeout} is closed with
 * DEADLINE_EXCEEDED, so that stalled senders cannot hold the slots. A call leaves the gate when
 * its first message arrives (or it ends). Health, metadata and reflection calls are never held back.
 * Thread-safe.
 */
@ApplicationScoped
@GlobalInterceptor
public class ReceivingCallsGate implements ServerInterceptor {

    /** The calls whose request message may be large (images); the others are never held back. */
    private static final Set<String> INFERENCE = Set.of("inference.GRPCInferenceService/ModelInfer",
            "sinewich.v1.SinewichService/Predict", "sinewich.v1.SinewichService/PredictStream");

    private final int limit;
    private final Duration timeout;
    private final AtomicInteger receiving = new AtomicInteger();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sinewich-grpc-receive-timeout");
        t.setDaemon(true);
        return t;
    });

    /**
     * Creates the gate.
     *
     * @param config the server settings (the limit and the read timeout)
     */
    public ReceivingCallsGate(ServingConfig config) {
        this.limit = config.limits().maxReceivingGrpcCalls();
        this.timeout = config.limits().grpcReceiveTimeout();
        if (limit < 1) {
            throw new IllegalArgumentException("sinewich.limits.max-receiving-grpc-calls must be at least 1, found "
                    + limit);
        }
    }

    /**
     * Returns the calls whose first message is being received now.
     *
     * @return the count
     */
    public int receiving() {
        return receiving.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (!INFERENCE.contains(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers); // small messages: health, metadata, reflection
        }
        if (receiving.incrementAndGet() > limit) {
            receiving.decrementAndGet();
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("the server is receiving " + limit
                    + " gRPC request messages already (sinewich.limits.max-receiving-grpc-calls); retry later"),
                    new Metadata());
            return new ServerCall.Listener<>() { };
        }
        AtomicBoolean inGate = new AtomicBoolean(true);
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> timer = timers.schedule(() -> {
            if (inGate.compareAndSet(true, false)) {
                receiving.decrementAndGet();
                timedOut.set(true);
                call.close(Status.DEADLINE_EXCEEDED.withDescription("no request message arrived within "
                        + timeout.toMillis() + " ms (sinewich.limits.grpc-receive-timeout)"), new Metadata());
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        Runnable leave = () -> {
            if (inGate.compareAndSet(true, false)) {
                receiving.decrementAndGet();
                timer.cancel(false);
            }
        };
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(call, headers);
        } catch (RuntimeException e) {
            leave.run();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                leave.run();
                if (!timedOut.get()) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                leave.run();
                if (!timedOut.get()) {
                    super.onHalfClose();
                }
            }

            @Override
            public void onCancel() {
                leave.run();
                super.onCancel();
            }

            @Override
            public void onComplete() {
                leave.run();
                super.onComplete();
            }
        };
    }

    @PreDestroy
    void stop() {
        timers.shutdownNow();
    }
}
