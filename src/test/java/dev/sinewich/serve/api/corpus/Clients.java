package dev.sinewich.serve.api.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The corpus's clients: plain {@code java.net.http} for REST (so that a request may lack a
 * Content-Type, or stream a body of unknown length), and raw gRPC calls whose messages are bytes,
 * so that a request can be any byte sequence, not only a well-formed protobuf message.
 */
final class Clients {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI root;
    private final Channel channel;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    Clients(URI root, Channel channel) {
        this.root = root;
        this.channel = channel;
    }

    /**
     * Posts a body.
     *
     * @param path the path and query, without the leading slash
     * @param contentType the Content-Type, or {@code null} for none
     * @param body the body
     * @param headers extra headers
     * @return the answer
     */
    Answer post(String path, String contentType, byte[] body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(root.resolve(path)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        headers.forEach(b::header);
        return http(b.build());
    }

    Answer post(String path, String contentType, byte[] body) throws Exception {
        return post(path, contentType, body, Map.of());
    }

    /**
     * Sends only the head of a POST that declares a body of {@code length} bytes, over a plain
     * socket, and reads the answer: a server that judges the request on its headers answers before
     * any of the body is sent (no client-side race with the body, no Expect: 100-continue).
     *
     * @param path the path and query
     * @param contentType the Content-Type
     * @param length the declared Content-Length
     * @return the answer
     */
    Answer postHeadersOnly(String path, String contentType, long length) throws Exception {
        URI uri = root.resolve(path);
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(60_000);
            String head = "POST " + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
                    + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort() + "\r\nContent-Type: " + contentType
                    + "\r\nContent-Length: " + length + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            int split = response.indexOf("\r\n\r\n");
            String headers = response.substring(0, split).toLowerCase(java.util.Locale.ROOT);
            String body = response.substring(split + 4);
            String type = headers.lines().filter(l -> l.startsWith("content-type:"))
                    .map(l -> l.substring("content-type:".length()).trim()).findFirst().orElse(null);
            return new Answer(status, null, type, errorField(body), body);
        }
    }

    /**
     * Posts a body of unknown length ({@code Transfer-Encoding: chunked}).
     *
     * @param path the path and query
     * @param contentType the Content-Type
     * @param length how many bytes to stream
     * @return the answer
     */
    Answer postChunked(String path, String contentType, long length) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(root.resolve(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Zeros(length))).build();
        return http(request);
    }

    private Answer http(HttpRequest request) throws Exception {
        HttpResponse<String> r;
        try {
            r = http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).get(120, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : e;
        }
        String type = r.headers().firstValue("Content-Type").orElse(null);
        return new Answer(r.statusCode(), null, type, errorField(r.body()), r.body());
    }

    private static String errorField(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            return node != null && node.hasNonNull("error") ? node.get("error").asText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Calls a unary gRPC method with a message given as its bytes.
     *
     * @param fullMethodName {@code package.Service/Method}
     * @param message the serialized request, well-formed or not
     * @return the answer: OK, or the failure's code and description
     */
    Answer grpc(String fullMethodName, byte[] message) {
        MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(fullMethodName)
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
        try {
            ClientCalls.blockingUnaryCall(channel, method,
                    CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), message);
            return new Answer(0, Status.Code.OK, null, "", "");
        } catch (StatusRuntimeException e) {
            String description = e.getStatus().getDescription();
            return new Answer(0, e.getStatus().getCode(), null, description, String.valueOf(description));
        }
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** A stream of zero bytes of a given length, made up as it is read. */
    private static final class Zeros extends InputStream {
        private long left;

        Zeros(long length) {
            this.left = length;
        }

        @Override
        public int read() {
            if (left <= 0) {
                return -1;
            }
            left--;
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
        }
    }
}
