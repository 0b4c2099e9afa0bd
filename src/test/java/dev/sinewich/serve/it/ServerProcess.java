package dev.sinewich.serve.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged server started exactly as the README says ({@code java -jar
 * target/quarkus-app/quarkus-run.jar}) in its own process, with its output captured to a file.
 */
final class ServerProcess implements AutoCloseable {

    static final Path JAR = Paths.get("target/quarkus-app/quarkus-run.jar");

    private final Process process;
    private final Path log;
    private final int port;
    private final int grpcPort;
    private final int managementPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ServerProcess(Process process, Path log, int port, int grpcPort, int managementPort) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.grpcPort = grpcPort;
        this.managementPort = managementPort;
    }

    static ServerProcess start(Map<String, String> env) throws IOException {
        int port = freePort();
        int grpcPort = freePort();
        int managementPort = freePort();
        Path log = Files.createTempFile("sinewich-server-", ".log");
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("SINEWICH_MODEL_PATH");
        pb.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        pb.environment().put("QUARKUS_GRPC_SERVER_PORT", Integer.toString(grpcPort));
        pb.environment().put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        pb.environment().putAll(env);
        return new ServerProcess(pb.start(), log, port, grpcPort, managementPort);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    int grpcPort() {
        return grpcPort;
    }

    /** Sends any request with the server's client. */
    HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A URL on the API port; health and metrics paths ({@code /q/...}) go to the management port. */
    String url(String path) {
        return "http://127.0.0.1:" + (path.startsWith("/q/") ? managementPort : port) + path;
    }

    /** Waits until /v2/health/ready answers 200, or fails with the server's output. */
    void awaitReady(Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new AssertionError("server exited with " + process.exitValue() + ":\n" + output());
            }
            try {
                if (get("/v2/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("server not ready within " + timeout + ":\n" + output());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> postJson(String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits for the process to exit by itself. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("server still running after " + timeout);
        }
        return process.exitValue();
    }

    /**
     * Sends SIGTERM without waiting: on Linux {@link Process#destroy()} is {@code kill -TERM}
     * (the JVM then exits with 143 after its shutdown hooks; a SIGKILL would give 137).
     */
    void signalTerm() {
        process.destroy();
    }

    /** Sends SIGTERM and waits for the exit status. */
    int stop(Duration timeout) throws InterruptedException {
        process.destroy();
        return awaitExit(timeout);
    }

    String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        Files.deleteIfExists(log);
    }
}
