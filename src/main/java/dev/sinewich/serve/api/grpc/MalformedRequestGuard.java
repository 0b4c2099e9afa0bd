package dev.sinewich.serve.api.grpc;

import com.google.protobuf.Message;
import dev.sinewich.serve.api.Failure;
import dev.sinewich.serve.model.InvalidInputException;
import io.grpc.BinaryLog;
import io.grpc.Channel;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import org.jboss.logging.Logger;

/**
 * Parses every gRPC request message itself, so that bytes that are not a valid protobuf message
 * of the method's request type end the call with INVALID_ARGUMENT and a message naming the type,
 * instead of grpc-java's UNKNOWN "Application error processing RPC" and a stack trace in the log.
 *
 * <p>grpc-java parses a request before any interceptor sees it, so the guard hooks in where the
 * server looks up a method: the server's {@link BinaryLog}, whose one job here is to hand back each
 * method with a pass-through request marshaller and a handler that parses inside a try. It logs
 * nothing. Stateless and thread-safe.
 */
final class MalformedRequestGuard extends BinaryLog {

    private static final Logger LOG = Logger.getLogger(MalformedRequestGuard.class);

    @Override
    public <ReqT, RespT> ServerMethodDefinition<?, ?> wrapMethodDefinition(ServerMethodDefinition<ReqT, RespT> method) {
        MethodDescriptor<ReqT, RespT> typed = method.getMethodDescriptor();
        MethodDescriptor<InputStream, RespT> raw = typed.toBuilder(PASS_THROUGH, typed.getResponseMarshaller()).build();
        ServerCallHandler<InputStream, RespT> handler = (call, headers) -> {
            ServerCall.Listener<ReqT> inner = method.getServerCallHandler().startCall(new Typed<>(call, typed), headers);
            return new Parsing<>(call, typed, inner);
        };
        return ServerMethodDefinition.create(raw, handler);
    }

    @Override
    public Channel wrapChannel(Channel channel) {
        return channel;
    }

    @Override
    public void close() {
        // holds nothing
    }

    /** The call as the method's own handler sees it: with its typed method descriptor. */
    private static final class Typed<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
        private final MethodDescriptor<ReqT, RespT> method;

        @SuppressWarnings("unchecked")
        Typed(ServerCall<InputStream, RespT> call, MethodDescriptor<ReqT, RespT> method) {
            // only getMethodDescriptor mentions the request type; every other call is forwarded as is
            super((ServerCall<ReqT, RespT>) (ServerCall<?, RespT>) call);
            this.method = method;
        }

        @Override
        public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
            return method;
        }
    }

    /** Parses each message; the first that does not parse closes the call with INVALID_ARGUMENT. */
    private static final class Parsing<ReqT, RespT> extends ServerCall.Listener<InputStream> {
        private final ServerCall<InputStream, RespT> call;
        private final MethodDescriptor<ReqT, RespT> method;
        private final ServerCall.Listener<ReqT> inner;
        private boolean refused;

        Parsing(ServerCall<InputStream, RespT> call, MethodDescriptor<ReqT, RespT> method, ServerCall.Listener<ReqT> inner) {
            this.call = call;
            this.method = method;
            this.inner = inner;
        }

        @Override
        public void onMessage(InputStream message) {
            if (refused) {
                return;
            }
            ReqT parsed;
            try {
                parsed = method.parseRequest(message);
            } catch (RuntimeException e) {
                refused = true;
                Failure f = Failure.of(new InvalidInputException("the request is not a valid " + typeName(method)
                        + " protobuf message (" + reason(e) + ")"));
                LOG.debugf("refused %s: %s", method.getFullMethodName(), f.message());
                call.close(Status.fromCode(f.grpcCode()).withDescription(f.message()), new Metadata());
                return;
            }
            inner.onMessage(parsed);
        }

        @Override
        public void onHalfClose() {
            if (!refused) {
                inner.onHalfClose();
            }
        }

        @Override
        public void onCancel() {
            inner.onCancel();
        }

        @Override
        public void onComplete() {
            inner.onComplete();
        }

        @Override
        public void onReady() {
            inner.onReady();
        }
    }

    private static String typeName(MethodDescriptor<?, ?> method) {
        if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
                && p.getMessagePrototype() instanceof Message m) {
            return m.getDescriptorForType().getFullName();
        }
        return method.getFullMethodName() + " request";
    }

    private static String reason(RuntimeException e) {
        Throwable cause = e instanceof StatusRuntimeException && e.getCause() != null ? e.getCause() : e;
        String text = cause.getMessage();
        return text == null || text.isBlank() ? "unreadable bytes" : text;
    }

    /** Hands the request's bytes through unparsed. */
    private static final MethodDescriptor.Marshaller<InputStream> PASS_THROUGH = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            return stream; // parsed by Parsing.onMessage before the server closes it
        }
    };
}
