package dev.sinewich.serve.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sinewich.serve.api.grpc.v1.PredictRequest;
import dev.sinewich.serve.api.grpc.v1.SinewichServiceGrpc;
import dev.sinewich.serve.api.grpc.v1.Uint8Image;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM while REST and gRPC requests are in flight. Each client sends request after request
 * until it is refused; then the server gets SIGTERM. Every request must end in one of three ways:
 * <ul>
 *   <li><b>completed</b>: 200 / OK. Every request the server accepted (read and handed to a
 *       resource or service) ends this way, however late in the shutdown it was accepted;
 *   <li><b>refused</b>: explicitly, after shutdown began and before acceptance: 503 on REST,
 *       UNAVAILABLE with the server's message on gRPC;
 *   <li><b>not connected</b>: the connection was refused because the listeners were closed.
 * </ul>
 * Anything else (a connection reset or closed under a request, any other status) is a lost
 * request, and there must be none. The process exits by itself with the SIGTERM status after an
 * orderly Quarkus shutdown.
 */
class ShutdownUnderLoadIT {

    private static final int REST_CLIENTS = 16;
    private static final int GRPC_CLIENTS = 8;
    private static final int SIDE = 256;
    private static final String INFER = "/v2/models/" + BrokenBundles.MODEL + "/infer";

    private enum Outcome { COMPLETED, REFUSED, NOT_CONNECTED, LOST }

    private final Map<Outcome, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> lost = new ConcurrentLinkedQueue<>();
    private final AtomicInteger completedAfterSigterm = new AtomicInteger();
    private final AtomicLong sigtermAt = new AtomicLong(Long.MAX_VALUE);

    @Test
    void everyAcceptedRequestCompletesAndTheProcessExitsInOrder() throws Exception {
        try (ServerProcess server = ServerProcess.start(Map.of("SINEWICH_MODEL_PATH",
                BrokenBundles.GOOD.toAbsolutePath().toString()))) {
            server.awaitReady(Duration.ofSeconds(180));
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext()
                    .maxInboundMessageSize(64 << 20).build();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            ExecutorService pool = Executors.newFixedThreadPool(REST_CLIENTS + GRPC_CLIENTS);
            List<java.util.concurrent.Future<?>> clients = new ArrayList<>();
            for (int i = 0; i < REST_CLIENTS; i++) {
                clients.add(pool.submit(() -> loop(() -> rest(http, server))));
            }
            SinewichServiceGrpc.SinewichServiceBlockingStub stub = SinewichServiceGrpc.newBlockingStub(channel);
            for (int i = 0; i < GRPC_CLIENTS; i++) {
                clients.add(pool.submit(() -> loop(() -> grpc(stub))));
            }
            long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (count(Outcome.COMPLETED) < 3 * (REST_CLIENTS + GRPC_CLIENTS) && System.nanoTime() < warm) {
                Thread.sleep(50);
            }
            assertTrue(count(Outcome.COMPLETED) > 0, "requests complete before the shutdown");
            sigtermAt.set(System.nanoTime());
            server.signalTerm();
            int status = server.awaitExit(Duration.ofSeconds(120));
            pool.shutdown();
            assertTrue(pool.awaitTermination(120, TimeUnit.SECONDS), "every client stopped");
            for (var c : clients) {
                c.get();
            }
            channel.shutdownNow();
            String log = server.output();
            String summary = outcomes + ", completed after SIGTERM: " + completedAfterSigterm + ", lost: " + lost;
            System.out.println("shutdown under load: " + summary);
            assertEquals(0, count(Outcome.LOST), summary + "\n" + log);
            assertTrue(completedAfterSigterm.get() > 0, "requests in flight at SIGTERM completed: " + summary);
            assertTrue(count(Outcome.REFUSED) + count(Outcome.NOT_CONNECTED) >= REST_CLIENTS + GRPC_CLIENTS,
                    "every client ends refused: " + summary);
            assertEquals(143, status, "the JVM's status after SIGTERM (128 + 15); 137 would be a SIGKILL\n" + log);
            assertTrue(log.contains("stopped in"), "an orderly Quarkus shutdown:\n" + log);
            assertTrue(log.lines().noneMatch(l -> l.startsWith("\tat ")), "no stack trace:\n" + log);
        }
    }

    private interface Call {
        Outcome send();
    }

    /** Sends until refused or not connected; every outcome is counted. */
    private void loop(Call call) {
        while (true) {
            Outcome o = call.send();
            outcomes.computeIfAbsent(o, k -> new AtomicInteger()).incrementAndGet();
            if (o == Outcome.COMPLETED && System.nanoTime() > sigtermAt.get()) {
                completedAfterSigterm.incrementAndGet();
            }
            if (o != Outcome.COMPLETED) {
                return;
            }
        }
    }

    private Outcome rest(HttpClient http, ServerProcess server) {
        String body = "{\"parameters\":{\"task\":\"depth\",\"binary_data_output\":true},\"inputs\":[{\"name\":\"image\","
                + "\"datatype\":\"UINT8\",\"shape\":[1," + SIDE + "," + SIDE + ",3],\"parameters\":{\"binary_data_size\":"
                + (SIDE * SIDE * 3) + "}}]}";
        byte[] json = body.getBytes(StandardCharsets.UTF_8);
        byte[] request = new byte[json.length + SIDE * SIDE * 3];
        System.arraycopy(json, 0, request, 0, json.length);
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(server.url(INFER)))
                    .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/octet-stream")
                    .header("Inference-Header-Content-Length", Integer.toString(json.length))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(request)).build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() == 200) {
                return Outcome.COMPLETED;
            }
            if (r.statusCode() == 503) {
                return Outcome.REFUSED;
            }
            lost.add("REST " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
            return Outcome.LOST;
        } catch (IOException e) {
            if (causedBy(e, ConnectException.class)) {
                return Outcome.NOT_CONNECTED;
            }
            lost.add("REST " + e);
            return Outcome.LOST;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            lost.add("REST interrupted");
            return Outcome.LOST;
        }
    }

    private Outcome grpc(SinewichServiceGrpc.SinewichServiceBlockingStub stub) {
        PredictRequest request = PredictRequest.newBuilder().setModelName(BrokenBundles.MODEL).addTasks("depth")
                .setUint8Image(Uint8Image.newBuilder().setHeight(SIDE).setWidth(SIDE)
                        .setData(ByteString.copyFrom(new byte[SIDE * SIDE * 3]))).build();
        try {
            stub.withDeadlineAfter(120, TimeUnit.SECONDS).predict(request);
            return Outcome.COMPLETED;
        } catch (StatusRuntimeException e) {
            Status s = e.getStatus();
            String description = String.valueOf(s.getDescription());
            if (s.getCode() == Status.Code.UNAVAILABLE
                    && (description.contains("shutting down") || description.contains("no model is loaded"))) {
                return Outcome.REFUSED;
            }
            if (s.getCode() == Status.Code.UNAVAILABLE && causedBy(e, ConnectException.class)) {
                return Outcome.NOT_CONNECTED;
            }
            lost.add("gRPC " + s);
            return Outcome.LOST;
        }
    }

    private int count(Outcome o) {
        AtomicInteger n = outcomes.get(o);
        return n == null ? 0 : n.get();
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }
}
