package dev.sinewich.serve.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Slow and stalled uploads against the packaged server, over real sockets: 1,000 connections each
 * send the headers of a large request and a few bytes of its body, then go quiet. While they are
 * open, a good inference and both readiness endpoints answer within a second (bodies are read by
 * the event loop, so a stalled upload holds no worker thread); after the read timeout every stalled
 * connection has its 408 with a JSON message and is closed, and the log shows no stack trace.
 */
class StalledUploadsIT {

    private static final int STALLED = 1000;
    private static final String INFER = "/v2/models/" + BrokenBundles.MODEL + "/infer";
    private static final String REQUEST = "{\"parameters\":{\"task\":\"depth\"},\"inputs\":[{\"name\":\"image\","
            + "\"datatype\":\"UINT8\",\"shape\":[1,2,2,3],\"data\":[255,0,0,0,255,0,0,0,255,9,9,9]}]}";
    private static final Pattern STACK_FRAME = Pattern.compile("^\\s+at [\\w$.]+\\(", Pattern.MULTILINE);

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path tmp;

    @Test
    void stalledUploadsStarveNothingAndAreCutOffAfterTheReadTimeout() throws Exception {
        java.nio.file.Path bundle = BrokenBundles.copy(tmp.resolve("bundle"), "1");
        Map<String, String> env = Map.of("SINEWICH_MODEL_PATH", bundle.toString(),
                "SINEWICH_LIMITS_BODY_READ_TIMEOUT", "3s");
        try (ServerProcess server = ServerProcess.start(env)) {
            server.awaitReady(Duration.ofSeconds(180));
            List<Socket> sockets = new ArrayList<>();
            try {
                String[] paths = {INFER, "/v1/models/" + BrokenBundles.MODEL + "/predict?task=depth"};
                for (int i = 0; i < STALLED; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
                    OutputStream out = s.getOutputStream();
                    String path = paths[i % 2];
                    out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                            + (i % 2 == 0 ? "application/json" : "image/png") + "\r\nContent-Length: 1000000\r\n\r\n{\"in")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    sockets.add(s);
                }
                for (int round = 0; round < 3; round++) {
                    long start = System.nanoTime();
                    HttpResponse<String> infer = server.postJson(INFER, REQUEST);
                    long inferMs = (System.nanoTime() - start) / 1_000_000;
                    assertEquals(200, infer.statusCode(), infer.body());
                    assertTrue(inferMs < 1000, "inference with " + STALLED + " stalled uploads took " + inferMs + " ms");
                    for (String health : new String[] {"/v2/health/ready", "/q/health/ready"}) {
                        start = System.nanoTime();
                        HttpResponse<String> r = server.get(health);
                        long ms = (System.nanoTime() - start) / 1_000_000;
                        assertEquals(200, r.statusCode(), health + ": " + r.body());
                        assertTrue(ms < 1000, health + " with " + STALLED + " stalled uploads took " + ms + " ms");
                    }
                }
                // after the 3 s read timeout: each stalled connection has its 408 and is closed
                int cutOff = 0;
                for (Socket s : sockets) {
                    s.setSoTimeout(15_000);
                    String answer = readAll(s.getInputStream());
                    assertTrue(answer.startsWith("HTTP/1.1 408"), () -> "expected a 408, found: " + answer);
                    assertTrue(answer.contains("no part of the request body arrived for 3000 ms"), answer);
                    cutOff++;
                }
                assertEquals(STALLED, cutOff);
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            HttpResponse<String> after = server.postJson(INFER, REQUEST);
            assertEquals(200, after.statusCode(), after.body());
            String log = server.output();
            assertFalse(STACK_FRAME.matcher(log).find(), () -> "no stack trace in the log:\n" + log);
        }
    }

    /** Reads until the server closes the connection. */
    private static String readAll(InputStream in) throws IOException {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept a stalled upload open", e);
        }
    }
}
