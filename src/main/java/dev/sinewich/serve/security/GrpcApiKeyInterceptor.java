package dev.sinewich.serve.security;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * Guards gRPC like the REST filter: inference and model metadata calls need an API key in the
 * {@code authorization: Bearer <key>} metadata when keys are configured; liveness, readiness,
 * server metadata, health and reflection stay open. The model repository calls need an admin key
 * and answer UNIMPLEMENTED unless the admin API is enabled, as {@code /v2/repository} answers 404.
 */
@ApplicationScoped
@GlobalInterceptor
public class GrpcApiKeyInterceptor implements ServerInterceptor {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> OPEN_OIP = Set.of("ServerLive", "ServerReady", "ServerMetadata");
    private static final Set<String> REPOSITORY = Set.of("RepositoryIndex", "RepositoryModelLoad",
            "RepositoryModelUnload");

    private final ApiKeys keys;

    /**
     * Creates the interceptor.
     *
     * @param keys the key checker
     */
    public GrpcApiKeyInterceptor(ApiKeys keys) {
        this.keys = keys;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        Status refusal = refusal(call.getMethodDescriptor().getServiceName(),
                call.getMethodDescriptor().getBareMethodName(), headers.get(AUTHORIZATION));
        if (refusal != null) {
            call.close(refusal, new Metadata());
            return new ServerCall.Listener<>() { };
        }
        return next.startCall(call, headers);
    }

    /** The status a call is refused with, or null when it may go on. */
    private Status refusal(String service, String method, String authorization) {
        boolean oip = "inference.GRPCInferenceService".equals(service);
        if (oip && REPOSITORY.contains(method)) {
            if (!keys.adminEnabled()) {
                return Status.UNIMPLEMENTED.withDescription(
                        "the model repository API is disabled (sinewich.security.admin-enabled)");
            }
            return keys.allows(authorization, ApiKeys.Role.ADMIN) ? null : Status.UNAUTHENTICATED.withDescription(
                    "an admin key is required: send metadata authorization: Bearer <admin key>");
        }
        boolean guarded = "sinewich.v1.SinewichService".equals(service) || (oip && !OPEN_OIP.contains(method));
        return !guarded || keys.allows(authorization, ApiKeys.Role.INFERENCE) ? null
                : Status.UNAUTHENTICATED.withDescription(
                        "an API key is required: send metadata authorization: Bearer <key>");
    }
}
