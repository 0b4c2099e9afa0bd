package dev.sinewich.serve.api.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.sinewich.serve.api.grpc.oip.InferParameter;
import dev.sinewich.serve.api.grpc.oip.ModelInferRequest;
import dev.sinewich.serve.api.grpc.v1.PredictRequest;
import dev.sinewich.serve.testing.LogCapture;
import io.grpc.Channel;
import io.grpc.Status;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Sends every row of the bad-input corpus ({@link RestCases}, {@link GrpcCases}) to the running
 * server over real HTTP and gRPC. Each must get its documented status or code (docs/ERRORS.md),
 * a message that names what was wrong, and no stack trace or exception class name; afterwards a
 * good request on every surface still succeeds and health is still UP.
 */
@QuarkusTest
class BadInputCorpusTest {

    /** A Java stack frame, or a fully qualified exception or error class name. */
    private static final Pattern LEAK = Pattern.compile(
            "(\\bat [\\w$.]+\\([\\w$]+\\.java:\\d+\\))|([a-z][\\w$]*\\.)+[A-Z][\\w$]*(Exception|Error)\\b|\\bException\\b|"
                    + "\\b[A-Z]\\w*Exception\\b|Caused by");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The longest message an error may carry (docs/ERRORS.md), with room for a cut's note. */
    private static final int MAX_MESSAGE = 1100;

    @TestHTTPResource("/")
    URL root;

    @GrpcClient("sinewich")
    Channel channel;

    /** The corpus, in table order, then the checks that the server still serves. */
    @TestFactory
    Stream<DynamicTest> corpus() throws Exception {
        Clients clients = new Clients(root.toURI(), channel);
        List<BadInput> cases = new ArrayList<>();
        cases.addAll(RestCases.nativeRest());
        cases.addAll(RestCases.oipRest());
        cases.addAll(GrpcCases.typed());
        cases.addAll(GrpcCases.oip());
        Map<Surface, Integer> perSurface = new EnumMap<>(Surface.class);
        cases.forEach(c -> perSurface.merge(c.surface(), 1, Integer::sum));
        assertTrue(cases.size() >= 40, "corpus size " + cases.size());
        assertEquals(4, perSurface.size(), perSurface::toString);
        // clients' mistakes are logged in one line at DEBUG or INFO, never as a server fault
        AtomicReference<LogCapture> log = new AtomicReference<>();
        Stream<DynamicTest> bad = Stream.concat(
                Stream.of(DynamicTest.dynamicTest("watch the log", () -> log.set(LogCapture.start()))),
                cases.stream().map(c -> DynamicTest.dynamicTest(c.displayName(),
                        () -> check(c, c.request().send(clients)))));
        Stream<DynamicTest> after = Stream.of(
                DynamicTest.dynamicTest("REST_V1: chunked body over the 64 MB limit", this::chunkedOverLimit),
                DynamicTest.dynamicTest("after the corpus: REST_V1 still predicts", () -> goodNativeRest(clients)),
                DynamicTest.dynamicTest("after the corpus: REST_V2 still infers", () -> goodOipRest(clients)),
                DynamicTest.dynamicTest("after the corpus: GRPC_V1 still predicts", () -> goodTypedGrpc(clients)),
                DynamicTest.dynamicTest("after the corpus: GRPC_OIP still infers", () -> goodOipGrpc(clients)),
                DynamicTest.dynamicTest("after the corpus: health is UP", () -> health()),
                DynamicTest.dynamicTest("after the corpus: no stack trace and no ERROR in the log", () -> {
                    try (LogCapture c = log.get()) {
                        assertTrue(c.faults().isEmpty(), () -> "the log has " + c.faults().size()
                                + " errors or stack traces: " + c.faults());
                    }
                }));
        return Stream.concat(bad, after);
    }

    private static void check(BadInput c, Answer answer) {
        if (c.surface().grpc()) {
            assertEquals(c.code(), answer.code(), answer::toString);
        } else {
            assertEquals(c.httpStatus(), answer.httpStatus(), answer::toString);
            assertNotNull(answer.contentType(), "an error body has a type: " + answer);
            assertTrue(answer.contentType().startsWith("application/json"), answer.contentType());
        }
        assertNotNull(answer.message(), "the answer carries a message (JSON 'error' or gRPC description): " + answer);
        assertTrue(answer.message().contains(c.fragment()),
                () -> "expected '" + c.fragment() + "' in the message: " + answer);
        assertFalse(LEAK.matcher(answer.raw()).find(), () -> "no stack trace or exception class: " + answer);
        assertTrue(answer.message().length() <= MAX_MESSAGE, () -> "a brief message, quoting the caller briefly ("
                + answer.message().length() + " characters): " + answer.message().substring(0, 300));
    }

    /**
     * A body of unknown length (chunked) is cut off once it passes the limit, with 413 and a JSON
     * message naming the limit; the server may close the connection while the client still sends,
     * and its answer is read all the same.
     */
    private void chunkedOverLimit() throws Exception {
        try (java.net.Socket s = new java.net.Socket(root.getHost(), root.getPort())) {
            s.setSoTimeout(60_000);
            java.io.OutputStream out = s.getOutputStream();
            out.write(("POST /" + RestCases.PREDICT + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] chunk = new byte[1 << 20];
            byte[] head = (Integer.toHexString(chunk.length) + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] end = "\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            try {
                for (long sent = 0; sent <= RestCases.OVER_LIMIT; sent += chunk.length) {
                    out.write(head);
                    out.write(chunk);
                    out.write(end);
                }
            } catch (java.io.IOException closedWhileSending) {
                // the server answered and closed while the body was still coming: its answer is below
            }
            String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
            assertTrue(answer.contains("the request body has more than 67108864 bytes"), answer);
            assertFalse(LEAK.matcher(answer).find(), answer);
        }
    }

    private static void goodNativeRest(Clients clients) throws Exception {
        Answer a = clients.post(RestCases.PREDICT, "image/png", BadImages.png());
        assertEquals(200, a.httpStatus(), a::toString);
        assertEquals(BadImages.H, JSON.readTree(a.raw()).get("image").get("height").asInt(), a.raw());
    }

    private static void goodOipRest(Clients clients) throws Exception {
        Answer a = clients.post(RestCases.INFER, "application/json",
                RestCases.bytes(RestCases.request("depth", RestCases.uint8Input("[1, 2, 2, 3]", 12))));
        assertEquals(200, a.httpStatus(), a::toString);
        assertEquals("[1,2,2]", JSON.readTree(a.raw()).get("outputs").get(0).get("shape").toString());
    }

    private static void goodTypedGrpc(Clients clients) {
        Answer a = clients.grpc(GrpcCases.PREDICT, PredictRequest.newBuilder().setModelName(RestCases.MODEL)
                .addTasks("depth").setEncoded(ByteString.copyFrom(BadImages.png())).build().toByteArray());
        assertEquals(Status.Code.OK, a.code(), a::toString);
    }

    private static void goodOipGrpc(Clients clients) {
        Answer a = clients.grpc(GrpcCases.INFER, ModelInferRequest.newBuilder().setModelName(RestCases.MODEL)
                .putParameters("task", InferParameter.newBuilder().setStringParam("depth").build())
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("UINT8")
                        .addShape(1).addShape(2).addShape(2).addShape(3))
                .addRawInputContents(ByteString.copyFrom(new byte[12])).build().toByteArray());
        assertEquals(Status.Code.OK, a.code(), a::toString);
    }

    private void health() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        var r = http.send(java.net.http.HttpRequest.newBuilder(URI.create(dev.sinewich.serve.testing.Management.url("/q/health"))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("UP", JSON.readTree(r.body()).get("status").asText(), r.body());
    }
}
