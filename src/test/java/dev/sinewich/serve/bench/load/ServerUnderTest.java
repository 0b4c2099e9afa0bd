package dev.sinewich.serve.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server a run targets: either the packaged jar started here as its own process ({@code java
 * -jar target/quarkus-app/quarkus-run.jar}, free ports, output to a log file), or one already
 * running at a URL. Reads what the checks need: readiness, the model and its tasks, a gauge from
 * {@code /q/metrics}, and the process's resident memory from {@code /proc/<pid>/status}.
 * Thread-safe.
 */
public final class ServerUnderTest implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final long pid;
    private final String baseUrl;
    private final String managementUrl;
    private final String grpcHost;
    private final int grpcPort;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ServerUnderTest(Process process, long pid, String baseUrl, String managementUrl, String grpcHost, int grpcPort,
            Path log) {
        this.managementUrl = managementUrl;
        this.process = process;
        this.pid = pid;
        this.baseUrl = baseUrl;
        this.grpcHost = grpcHost;
        this.grpcPort = grpcPort;
        this.log = log;
    }

    /**
     * Starts the packaged jar with the given environment on free ports.
     *
     * @param jar the quarkus-run.jar
     * @param env extra environment (SINEWICH_* settings)
     * @param log where the server's output goes
     * @return the started (not yet ready) server
     * @throws IOException if it cannot be started
     */
    public static ServerUnderTest start(Path jar, Map<String, String> env, Path log) throws IOException {
        int http = freePort();
        int grpc = freePort();
        int management = freePort();
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("QUARKUS_HTTP_PORT", Integer.toString(http));
        pb.environment().put("QUARKUS_GRPC_SERVER_PORT", Integer.toString(grpc));
        pb.environment().put("QUARKUS_MANAGEMENT_PORT", Integer.toString(management));
        pb.environment().putIfAbsent("DJL_OFFLINE", "true");
        pb.environment().putIfAbsent("OPT_OUT_TRACKING", "true");
        pb.environment().putAll(env);
        Process p = pb.start();
        return new ServerUnderTest(p, p.pid(), "http://127.0.0.1:" + http, "http://127.0.0.1:" + management,
                "127.0.0.1", grpc, log);
    }

    /**
     * Targets a server that is already running.
     *
     * @param baseUrl its HTTP base URL (its management interface is taken at port 8081 of the same host)
     * @param grpcHost its gRPC host
     * @param grpcPort its gRPC port
     * @param pid its process id on this machine for memory readings, or -1
     * @return the target
     */
    public static ServerUnderTest attach(String baseUrl, String grpcHost, int grpcPort, long pid) {
        String base = baseUrl.replaceAll("/+$", "");
        return new ServerUnderTest(null, pid, base, base.replaceAll(":[0-9]+$", "") + ":8081", grpcHost, grpcPort, null);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Waits until {@code /v2/health/ready} answers 200.
     *
     * @param timeout the longest to wait
     * @throws Exception if the server exits or is not ready in time
     */
    public void awaitReady(Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (process != null && !process.isAlive()) {
                throw new IllegalStateException("server exited with " + process.exitValue() + "; see " + log);
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
        throw new IllegalStateException("server not ready within " + timeout + (log == null ? "" : "; see " + log));
    }

    /**
     * Tells whether the server still runs and says it is ready.
     *
     * @return true when alive and ready
     */
    public boolean aliveAndReady() {
        if (process != null && !process.isAlive()) {
            return false;
        }
        try {
            return get("/v2/health/ready").statusCode() == 200;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /**
     * Returns the name of the first model the server lists.
     *
     * @return the model name
     * @throws Exception if the index cannot be read
     */
    public String model() throws Exception {
        return JSON.readTree(get("/v1/models").body()).findValue("name").asText();
    }

    /**
     * Returns the tasks of a model.
     *
     * @param model the model
     * @return its task names
     * @throws Exception if the description cannot be read
     */
    public List<String> tasks(String model) throws Exception {
        JsonNode tasks = JSON.readTree(get("/v1/models/" + model).body()).get("tasks");
        List<String> out = new ArrayList<>();
        tasks.forEach(t -> out.add(t.get("name").asText()));
        return out;
    }

    /**
     * Reads an unlabelled gauge from the Prometheus scrape.
     *
     * @param name its exported name, e.g. {@code sinewich_ndarrays_live}
     * @return its value
     * @throws Exception if the scrape fails or lacks the gauge
     */
    public double gauge(String name) throws Exception {
        return get("/q/metrics").body().lines().filter(l -> l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1).trim())).findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + name + " in /q/metrics"));
    }

    /**
     * Reads the gauge once the server is idle: twice the same value 300 ms apart.
     *
     * @param name the gauge
     * @return its settled value
     * @throws Exception if the scrape fails
     */
    public double settledGauge(String name) throws Exception {
        double previous = gauge(name);
        for (int i = 0; i < 50; i++) {
            Thread.sleep(300);
            double now = gauge(name);
            if (now == previous) {
                return now;
            }
            previous = now;
        }
        return previous;
    }

    /**
     * Returns the server's resident set size, from {@code VmRSS} in {@code /proc/<pid>/status}.
     *
     * @return RSS in KiB, or -1 when unknown (no pid, or not Linux)
     */
    public long rssKiB() {
        if (pid < 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Returns the HTTP base URL.
     *
     * @return the URL
     */
    public String baseUrl() {
        return baseUrl;
    }

    /**
     * Returns the gRPC host.
     *
     * @return the host
     */
    public String grpcHost() {
        return grpcHost;
    }

    /**
     * Returns the gRPC port.
     *
     * @return the port
     */
    public int grpcPort() {
        return grpcPort;
    }

    /**
     * Returns the server's log file when it was started here.
     *
     * @return the log, or null
     */
    public Path log() {
        return log;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create((path.startsWith("/q/") ? managementUrl : baseUrl) + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Stops a server started here (SIGTERM, then SIGKILL after 60 s); leaves an attached one alone. */
    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
