package dev.sinewich.serve.bench.load;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import dev.sinewich.serve.api.grpc.v1.PredictRequest;
import dev.sinewich.serve.api.grpc.v1.PredictResponse;
import dev.sinewich.serve.api.grpc.v1.SinewichServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Sends one {@link Workload.Shot} over its surface and reports its {@link Outcome}, never
 * throwing: a missing response becomes a transport error of a named kind. One HTTP client and one
 * gRPC channel serve every request. Thread-safe.
 */
public final class Caller implements AutoCloseable {

    private final String baseUrl;
    private final String model;
    private final Duration timeout;
    private final HttpClient http;
    private final ManagedChannel channel;
    private final SinewichServiceGrpc.SinewichServiceFutureStub grpc;

    /**
     * Connects to a server.
     *
     * @param baseUrl e.g. {@code http://127.0.0.1:8080}
     * @param grpcHost the gRPC host
     * @param grpcPort the gRPC port
     * @param model the model to call
     * @param timeout the client-side limit per request; past it the request counts as a timeout
     */
    public Caller(String baseUrl, String grpcHost, int grpcPort, String model, Duration timeout) {
        this.baseUrl = baseUrl;
        this.model = model;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        this.channel = ManagedChannelBuilder.forAddress(grpcHost, grpcPort).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        this.grpc = SinewichServiceGrpc.newFutureStub(channel);
    }

    /**
     * Sends a request.
     *
     * @param shot the request
     * @param scheduledNanos when it was meant to be sent ({@link System#nanoTime()}); latency counts from here
     * @return its outcome, never failed
     */
    public CompletableFuture<Outcome> send(Workload.Shot shot, long scheduledNanos) {
        try {
            return shot.api().grpc() ? grpc(shot, scheduledNanos) : rest(shot, scheduledNanos);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(Outcome.transport(shot.api(), "io_error",
                    System.nanoTime() - scheduledNanos));
        }
    }

    private CompletableFuture<Outcome> rest(Workload.Shot shot, long scheduled) {
        HttpRequest request = shot.api() == Api.REST_NATIVE ? nativeRequest(shot) : oipRequest(shot);
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).handle((response, failure) -> {
            long latency = System.nanoTime() - scheduled;
            if (failure == null) {
                return new Outcome(shot.api(), "http " + response.statusCode(), null, latency);
            }
            return Outcome.transport(shot.api(), kind(failure), latency);
        });
    }

    private HttpRequest nativeRequest(Workload.Shot shot) {
        String tasks = URLEncoder.encode(String.join(",", shot.tasks()), StandardCharsets.UTF_8);
        return HttpRequest.newBuilder(URI.create(baseUrl + "/v1/models/" + model + "/predict?format=json&tasks=" + tasks))
                .timeout(timeout).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(shot.image().png())).build();
    }

    private HttpRequest oipRequest(Workload.Shot shot) {
        Workload.Image image = shot.image();
        byte[] header = ("{\"parameters\":{\"task\":\"" + shot.tasks().get(0) + "\",\"binary_data_output\":true},"
                + "\"inputs\":[{\"name\":\"image\",\"datatype\":\"UINT8\",\"shape\":[1," + image.height() + ","
                + image.width() + ",3],\"parameters\":{\"binary_data_size\":" + image.rgb().length + "}}]}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[header.length + image.rgb().length];
        System.arraycopy(header, 0, body, 0, header.length);
        System.arraycopy(image.rgb(), 0, body, header.length, image.rgb().length);
        return HttpRequest.newBuilder(URI.create(baseUrl + "/v2/models/" + model + "/infer")).timeout(timeout)
                .header("Content-Type", "application/octet-stream")
                .header("Inference-Header-Content-Length", Integer.toString(header.length))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    private CompletableFuture<Outcome> grpc(Workload.Shot shot, long scheduled) {
        PredictRequest request = PredictRequest.newBuilder().setModelName(model)
                .setEncoded(ByteString.copyFrom(shot.image().png())).addAllTasks(shot.tasks()).build();
        CompletableFuture<Outcome> out = new CompletableFuture<>();
        long sent = System.nanoTime();
        Futures.addCallback(grpc.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).predict(request),
                new FutureCallback<PredictResponse>() {
                    @Override
                    public void onSuccess(PredictResponse response) {
                        out.complete(new Outcome(shot.api(), "grpc OK", null, System.nanoTime() - scheduled));
                    }

                    @Override
                    public void onFailure(Throwable failure) {
                        long now = System.nanoTime();
                        out.complete(grpcFailure(shot.api(), failure, now - scheduled, now - sent >= timeout.toNanos()));
                    }
                }, MoreExecutors.directExecutor());
        return out;
    }

    /**
     * Separates a status the server sent from one the client library made up because the
     * connection failed or the client's own deadline passed.
     */
    private static Outcome grpcFailure(Api api, Throwable failure, long latency, boolean clientDeadlinePassed) {
        if (!(failure instanceof StatusRuntimeException)) {
            return Outcome.transport(api, kind(failure), latency);
        }
        Status status = ((StatusRuntimeException) failure).getStatus();
        String description = status.getDescription() == null ? "" : status.getDescription();
        if (status.getCause() != null) {
            return Outcome.transport(api, kind(status.getCause()), latency);
        }
        if (status.getCode() == Status.Code.DEADLINE_EXCEEDED && (clientDeadlinePassed
                || description.toLowerCase().contains("deadline exceeded after"))) {
            return Outcome.transport(api, "timeout", latency);
        }
        if (status.getCode() == Status.Code.UNAVAILABLE && (description.contains("io exception")
                || description.startsWith("Network closed") || description.startsWith("Connection closed"))) {
            return Outcome.transport(api, "connection_reset", latency);
        }
        return new Outcome(api, "grpc " + status.getCode(), null, latency);
    }

    private static String kind(Throwable failure) {
        Throwable e = failure;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof HttpTimeoutException) {
            return "timeout";
        }
        if (e instanceof ConnectException) {
            return "connection_refused";
        }
        String message = String.valueOf(e.getMessage()).toLowerCase();
        if (message.contains("reset")) {
            return "connection_reset";
        }
        if (message.contains("closed") || message.contains("eof")) {
            return "closed";
        }
        return e instanceof IOException ? "io_error" : "client_error";
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
