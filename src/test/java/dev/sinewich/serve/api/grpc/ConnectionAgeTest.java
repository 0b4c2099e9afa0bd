package dev.sinewich.serve.api.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.api.grpc.oip.GRPCInferenceServiceGrpc;
import dev.sinewich.serve.api.grpc.oip.ServerLiveRequest;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * gRPC connections have a maximum age ({@code sinewich.grpc.max-connection-age}, 1 s here, grace
 * 1 s): the server closes an older connection (the client's channel goes back to IDLE, so its next
 * call resolves and connects again, possibly to a pod added since), and that next call succeeds.
 */
@QuarkusTest
@TestProfile(ConnectionAgeTest.ShortAge.class)
class ConnectionAgeTest {

    /** Connections live one second, plus one of grace. */
    public static class ShortAge implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.grpc.max-connection-age", "1s", "sinewich.grpc.max-connection-age-grace", "1s");
        }
    }

    @ConfigProperty(name = "quarkus.grpc.server.test-port", defaultValue = "9001")
    int port;

    @Test
    void theServerClosesConnectionsPastTheirAgeAndClientsReconnect() throws Exception {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
            assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
            assertEquals(ConnectivityState.READY, channel.getState(false));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (channel.getState(false) == ConnectivityState.READY && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertEquals(ConnectivityState.IDLE, channel.getState(false), "the server closed the aged connection");
            assertTrue(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive(), "the next call reconnects");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
