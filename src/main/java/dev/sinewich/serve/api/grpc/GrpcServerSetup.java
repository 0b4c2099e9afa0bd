package dev.sinewich.serve.api.grpc;

import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Installs {@link MalformedRequestGuard} on the gRPC server, so that a request that is not valid
 * protobuf gets INVALID_ARGUMENT with a message.
 */
@ApplicationScoped
public class GrpcServerSetup implements ServerBuilderCustomizer<VertxServerBuilder> {

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        builder.setBinaryLog(new MalformedRequestGuard());
    }
}
