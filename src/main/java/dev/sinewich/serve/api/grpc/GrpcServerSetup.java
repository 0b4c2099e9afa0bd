package dev.sinewich.serve.api.grpc;

import dev.sinewich.serve.serving.ServingConfig;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Sets up the gRPC server: {@link MalformedRequestGuard}, so that a request that is not valid
 * protobuf gets INVALID_ARGUMENT with a message, the {@link ReceivingCallsGate}'s count of request
 * bytes as they arrive, and the maximum connection age
 * ({@code sinewich.grpc.max-connection-age}, with its grace), so that long-lived clients spread
 * over the pods an autoscaler adds.
 */
@ApplicationScoped
public class GrpcServerSetup implements ServerBuilderCustomizer<VertxServerBuilder> {

    private final ServingConfig.Grpc settings;
    private final ReceivingCallsGate receiving;

    /**
     * Creates the customizer.
     *
     * @param config the server settings (gRPC connection age)
     * @param receiving the gate that counts request bytes as they arrive (its stream tracer)
     */
    public GrpcServerSetup(ServingConfig config, ReceivingCallsGate receiving) {
        this.settings = config.grpc();
        this.receiving = receiving;
    }

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        builder.setBinaryLog(new MalformedRequestGuard());
        builder.addStreamTracerFactory(receiving);
        Duration age = settings.maxConnectionAge();
        if (!age.isZero() && !age.isNegative()) {
            builder.nettyBuilder().maxConnectionAge(age.toMillis(), TimeUnit.MILLISECONDS)
                    .maxConnectionAgeGrace(settings.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
