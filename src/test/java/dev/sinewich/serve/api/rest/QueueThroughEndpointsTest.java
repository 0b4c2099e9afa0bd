package dev.sinewich.serve.api.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sinewich.serve.api.grpc.oip.GRPCInferenceServiceGrpc;
import dev.sinewich.serve.api.grpc.oip.InferParameter;
import dev.sinewich.serve.api.grpc.oip.ModelInferRequest;
import dev.sinewich.serve.api.grpc.v1.PredictRequest;
import dev.sinewich.serve.api.grpc.v1.SinewichServiceGrpc;
import dev.sinewich.serve.api.grpc.v1.Uint8Image;
import dev.sinewich.serve.metrics.ServerMetrics;
import dev.sinewich.serve.serving.BatchScheduler;
import dev.sinewich.serve.serving.InferenceService;
import dev.sinewich.serve.serving.PassListener;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The queue through the real endpoints (one worker, room for one waiting request): while a pass is
 * held at its start, a second request waits, and a third gets 429 with {@code Retry-After} on REST
 * and RESOURCE_EXHAUSTED on both gRPC services; a waiting request whose deadline passes gets 504
 * and one whose HTTP client disconnects or whose gRPC call is cancelled is dropped, each freeing its
 * slot at once (a new request is queued right after) and none computed (the scheduler's skipped counter, one pass per served
 * request).
 */
@QuarkusTest
@TestProfile(QueueThroughEndpointsTest.OneSlot.class)
class QueueThroughEndpointsTest {

    private static final String MODEL = "s4-mixed-downscale";
    private static final String BODY = "{\"parameters\":{\"task\":\"depth\"%s},\"inputs\":[{\"name\":\"image\","
            + "\"datatype\":\"UINT8\",\"shape\":[1,2,2,3],\"data\":[1,2,3,4,5,6,7,8,9,10,11,12]}]}";

    /** One worker, one pass per request, one waiting request at most. */
    public static class OneSlot implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.inference.workers", "1", "sinewich.inference.queue-capacity", "1",
                    "sinewich.inference.max-batch-size", "1", "sinewich.inference.max-delay", "0ms");
        }
    }

    @Inject
    InferenceService service;

    @Inject
    ServerMetrics metrics;

    @TestHTTPResource("/")
    URL root;

    @ConfigProperty(name = "quarkus.grpc.server.test-port", defaultValue = "9001")
    int grpcPort;

    @GrpcClient("oip")
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub oip;

    @GrpcClient("sinewich")
    SinewichServiceGrpc.SinewichServiceBlockingStub typed;

    @Test
    void aFullQueueRefusesOnEverySurfaceAndLeavingRequestsFreeTheirSlot() throws Exception {
        BatchScheduler scheduler = service.scheduler();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch gate = new CountDownLatch(1);
        scheduler.listener(new PassListener() {
            @Override
            public void passRun(int requests, int rows, double computeSeconds) {
                metrics.passRun(requests, rows, computeSeconds);
            }

            @Override
            public void requestStarted(double queueSeconds) {
                started.countDown();
                try {
                    gate.await(30, TimeUnit.SECONDS); // holds the only worker at the start of its pass
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                metrics.requestStarted(queueSeconds);
            }
        });
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long skipped = scheduler.stats().skipped();
        long passes = scheduler.stats().passes();
        try {
            CompletableFuture<HttpResponse<String>> running = http.sendAsync(infer(""), HttpResponse.BodyHandlers.ofString());
            assertTrue(started.await(10, TimeUnit.SECONDS), "the first request's pass started");

            // a request that waits, then passes its deadline: 504, and its slot is free again
            given().contentType(ContentType.JSON).body(String.format(BODY, ",\"timeout_ms\":300"))
                    .post("/v2/models/" + MODEL + "/infer").then().statusCode(504)
                    .body("error", containsString("deadline of 300 ms"));
            awaitTrue(() -> scheduler.pending() == 0, "the expired request left the queue");

            try (Socket leaving = new Socket(root.getHost(), root.getPort())) {
                String body = String.format(BODY, "");
                OutputStream out = leaving.getOutputStream();
                out.write(("POST /v2/models/" + MODEL + "/infer HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                awaitTrue(() -> scheduler.pending() == 1, "the second request waits");

                given().contentType(ContentType.JSON).body(String.format(BODY, "")).post("/v2/models/" + MODEL + "/infer")
                        .then().statusCode(429).header("Retry-After", equalTo("1"))
                        .body("error", containsString("queue is full"));
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> oip.modelInfer(grpcRequest()));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
                assertTrue(e.getStatus().getDescription().contains("queue is full"), e.getStatus().getDescription());
                e = assertThrows(StatusRuntimeException.class, () -> typed.predict(PredictRequest.newBuilder()
                        .setModelName(MODEL).addTasks("depth").setUint8Image(Uint8Image.newBuilder().setHeight(2)
                                .setWidth(2).setData(ByteString.copyFrom(new byte[12]))).build()));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
            } // the waiting request's client goes away
            awaitTrue(() -> scheduler.pending() == 0, "the abandoned request left the queue");

            // a gRPC call cancelled by its client while it waits: its slot is free at once too
            ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().build();
            try {
                var cancelled = GRPCInferenceServiceGrpc.newFutureStub(channel).modelInfer(grpcRequest());
                awaitTrue(() -> scheduler.pending() == 1, "the gRPC request waits");
                cancelled.cancel(true);
                awaitTrue(() -> scheduler.pending() == 0, "the cancelled gRPC request left the queue");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }

            CompletableFuture<HttpResponse<String>> next = http.sendAsync(infer(""), HttpResponse.BodyHandlers.ofString());
            awaitTrue(() -> scheduler.pending() == 1, "a new request takes the freed slot");
            gate.countDown();
            assertEquals(200, running.get(30, TimeUnit.SECONDS).statusCode());
            assertEquals(200, next.get(30, TimeUnit.SECONDS).statusCode());
            assertEquals(skipped + 3, scheduler.stats().skipped(),
                    "the expired, the abandoned and the cancelled request were not computed");
            awaitTrue(() -> scheduler.stats().passes() == passes + 2, "one pass for each served request");
        } finally {
            gate.countDown();
            scheduler.listener(metrics);
        }
    }

    private HttpRequest infer(String parameters) {
        return HttpRequest.newBuilder(URI.create(root + "v2/models/" + MODEL + "/infer"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(String.format(BODY, parameters))).build();
    }

    private static ModelInferRequest grpcRequest() {
        return ModelInferRequest.newBuilder().setModelName(MODEL)
                .putParameters("task", InferParameter.newBuilder().setStringParam("depth").build())
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("UINT8")
                        .addShape(1).addShape(2).addShape(2).addShape(3))
                .addRawInputContents(ByteString.copyFrom(new byte[12])).build();
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(10);
        }
    }
}
