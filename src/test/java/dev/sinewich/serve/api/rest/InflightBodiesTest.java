package dev.sinewich.serve.api.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinewich.serve.imaging.PatternImages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bytes of request bodies the server holds at once are bounded
 * ({@code sinewich.limits.max-inflight-body-bytes}, 4 KiB in this profile): while a stalled upload
 * holds 3,000 bytes, a request whose body would go past the limit gets 429 with {@code Retry-After}
 * and a message naming the limit; once the stalled upload is cut off (read timeout), its bytes are
 * given back and the same request succeeds. A client refused while still sending its body reads the
 * 429: the rest of the body is read and dropped before the connection is closed.
 */
@QuarkusTest
@TestProfile(InflightBodiesTest.SmallBudget.class)
class InflightBodiesTest {

    private static final String PREDICT = "v1/models/s4-mixed-downscale/predict?task=depth";

    /** A small in-flight budget and a short read timeout. */
    public static class SmallBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.limits.max-inflight-body-bytes", "4K", "sinewich.limits.body-read-timeout", "1s");
        }
    }

    @TestHTTPResource("/")
    URL root;

    @Test
    void bodiesPastTheInFlightLimitAreRefusedUntilBytesAreGivenBack() throws Exception {
        byte[] png = PatternImages.png(40, 60);
        assertTrue(png.length > 1100 && png.length < 4096, "the image fits alone: " + png.length);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest good = HttpRequest.newBuilder(URI.create(root + PREDICT)).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build();
        assertEquals(200, http.send(good, HttpResponse.BodyHandlers.ofString()).statusCode());

        try (Socket stalled = new Socket(root.getHost(), root.getPort())) {
            OutputStream out = stalled.getOutputStream();
            out.write(("POST /" + PREDICT + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                    + "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[4096 - png.length + 100]);
            out.flush();
            Thread.sleep(300); // the server has read them
            HttpResponse<String> refused = http.send(good, HttpResponse.BodyHandlers.ofString());
            assertEquals(429, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            assertTrue(refused.body().contains("sinewich.limits.max-inflight-body-bytes"), refused.body());

            // a client still sending when it is refused reads the answer: the rest of its body is
            // read and dropped before the connection is closed (16 MB: more than socket buffers hold)
            try (Socket big = new Socket(root.getHost(), root.getPort())) {
                big.setSoTimeout(10_000);
                OutputStream bigOut = big.getOutputStream();
                int length = 16 << 20;
                bigOut.write(("POST /" + PREDICT + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                        + "Content-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = new byte[1 << 16];
                for (int sent = 0; sent < length; sent += chunk.length) {
                    bigOut.write(chunk);
                }
                bigOut.flush();
                String answer = new String(big.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(answer.startsWith("HTTP/1.1 429"), answer);
                assertTrue(answer.contains("sinewich.limits.max-inflight-body-bytes"), answer);
            }

            stalled.setSoTimeout(10_000);
            String cutOff = new String(stalled.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(cutOff.startsWith("HTTP/1.1 408"), cutOff);
        }
        assertEquals(200, http.send(good, HttpResponse.BodyHandlers.ofString()).statusCode());
    }
}
