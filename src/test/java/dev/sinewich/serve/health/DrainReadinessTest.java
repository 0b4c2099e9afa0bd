package dev.sinewich.serve.health;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.api.grpc.oip.GRPCInferenceServiceGrpc;
import dev.sinewich.serve.api.grpc.oip.ModelReadyRequest;
import dev.sinewich.serve.api.grpc.oip.ServerLiveRequest;
import dev.sinewich.serve.api.grpc.oip.ServerReadyRequest;
import dev.sinewich.serve.serving.InferenceService;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;
import dev.sinewich.serve.testing.Management;

/**
 * One readiness rule on every surface: ready while a model is loaded and requests are accepted;
 * from the first moment of a shutdown (the scheduler stops accepting) not ready on
 * {@code /q/health/ready}, {@code /v2/health/ready}, the model-ready calls and OIP gRPC
 * {@code ServerReady} alike, while liveness stays true. Its own application (profile), because it
 * leaves that application draining.
 */
@QuarkusTest
@TestProfile(DrainReadinessTest.OwnApplication.class)
class DrainReadinessTest {

    private static final String MODEL = "s4-mixed-downscale";

    /** A profile of its own, so that the draining application is not shared with other tests. */
    public static class OwnApplication implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.inference.queue-capacity", "31");
        }
    }

    @Inject
    InferenceService service;

    @GrpcClient("oip")
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip;

    @Test
    void everySurfaceTurnsNotReadyWhenTheServerStartsToDrain() {
        Management.given().get("/q/health/ready").then().statusCode(200);
        given().get("/v2/health/ready").then().statusCode(200);
        given().get("/v2/models/" + MODEL + "/ready").then().statusCode(200);
        assertTrue(oip.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        assertTrue(oip.modelReady(ModelReadyRequest.newBuilder().setName(MODEL).build()).getReady());

        service.scheduler().stopAccepting();

        Management.given().get("/q/health/ready").then().statusCode(503);
        given().get("/v2/health/ready").then().statusCode(503).header("Retry-After", "1");
        given().get("/v2/models/" + MODEL + "/ready").then().statusCode(503).header("Retry-After", "1");
        assertFalse(oip.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        assertFalse(oip.modelReady(ModelReadyRequest.newBuilder().setName(MODEL).build()).getReady());
        // still alive: a draining server is not restarted
        assertTrue(oip.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        given().get("/v2/health/live").then().statusCode(200);
        Management.given().get("/q/health/live").then().statusCode(200);
    }
}
