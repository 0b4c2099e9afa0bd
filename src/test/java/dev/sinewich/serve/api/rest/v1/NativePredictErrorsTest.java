package dev.sinewich.serve.api.rest.v1;

import static dev.sinewich.serve.api.rest.v1.NativeApi.MODEL;
import static dev.sinewich.serve.api.rest.v1.NativeApi.PREDICT;
import static dev.sinewich.serve.api.rest.v1.NativeApi.png;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * Every way a {@code predict} call can be wrong gets the right status and a JSON message that says
 * what was wrong, never a stack trace.
 */
@QuarkusTest
class NativePredictErrorsTest {

    private static final String ACCEPTED = "image/png, image/jpeg, or multipart/form-data";

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TestHTTPResource("/")
    URL root;

    @Test
    void wrongOrMissingContentTypeIs415ListingTheAcceptedTypes() throws Exception {
        expect(given().contentType("text/plain").body("hello"), "task=depth", 415, "Content-Type 'text/plain");
        expect(given().contentType("application/json").body("{}"), "task=depth", 415, ACCEPTED);
        HttpResponse<String> none = HTTP.send(HttpRequest.newBuilder(
                URI.create(root + PREDICT.substring(1) + "?task=depth"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(png())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(415, none.statusCode(), none.body());
        assertTrue(none.body().contains("no Content-Type") && none.body().contains(ACCEPTED), none.body());
    }

    @Test
    void emptyOrBrokenImagesAre400() {
        expect(given().contentType("image/png").body(new byte[0]), "task=depth", 400, "body is empty");
        expect(given().contentType("image/png").body("not an image at all".getBytes()), "task=depth", 400,
                "PNG or JPEG");
        byte[] truncated = java.util.Arrays.copyOf(png(), 60);
        expect(given().contentType("image/png").body(truncated), "task=depth", 400, "corrupt PNG");
        expect(given().multiPart("photo", "x.png", png(), "image/png"), "task=depth", 400, "no part named 'image'");
    }

    @Test
    void tasksAndModelsMustExist() {
        expect(raw(), "", 400, "name at least one task");
        expect(raw(), "task=sky", 400, "unknown task 'sky'; this model serves semseg, depth, normals");
        expect(raw().accept("image/png"), "task=sky&format=png", 400, "unknown task 'sky'"); // errors stay JSON
        expect(raw(), "task=all&task=depth", 400, "cannot be combined");
        expect(raw(), "task=depth&tasks=depth", 400, "more than once");
        Response r = given().contentType("image/png").body(png()).when().post("/v1/models/nope/predict?task=depth");
        check(r, 404, "unknown model 'nope'; this server serves '" + MODEL + "'");
    }

    @Test
    void formatsMustFitTheTasks() {
        expect(raw(), "task=depth&task=normals&format=png", 400, "format png returns one task's output, but 2");
        expect(raw(), "task=all&format=npy", 400, "use format=json for several");
        expect(raw(), "task=normals&format=png16", 400, "png16 is for depth tasks only");
        expect(raw(), "task=depth&format=gif", 400, "format must be one of json, png, png16, npy; found 'gif'");
        expect(raw(), "task=depth&include=everything", 400, "include takes 'data'");
        expect(raw(), "task=depth&timeout_ms=soon", 400, "timeout_ms must be an integer");
        expect(raw(), "task=depth&timeout_ms=0", 400, "deadline must be between 1 ms");
    }

    @Test
    void imagesOverTheLimitsAre413() {
        byte[] bomb = png();
        ByteBuffer.wrap(bomb, 16, 8).putInt(50000).putInt(50000); // IHDR width and height
        CRC32 crc = new CRC32();
        crc.update(bomb, 12, 17);
        ByteBuffer.wrap(bomb, 29, 4).putInt((int) crc.getValue());
        expect(given().contentType("image/png").body(bomb), "task=depth", 413, "50000");
        expect(given().multiPart("image", "bomb.png", bomb, "image/png"), "task=depth", 413, "50000");
    }

    @Test
    void bodiesOverTheHttpLimitAre413WithAMessage() throws Exception {
        long huge = 64L * 1024 * 1024 + 1;
        // only the head is sent: the server judges the request on its Content-Length and answers
        // before any of the body, so the client never races the server with a body it will not read
        URI uri = URI.create(root + PREDICT.substring(1) + "?task=depth");
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(60_000);
            String head = "POST " + uri.getRawPath() + "?" + uri.getRawQuery() + " HTTP/1.1\r\nHost: " + uri.getHost()
                    + "\r\nContent-Type: image/png\r\nContent-Length: " + huge + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 413"), response);
            assertTrue(response.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json"), response);
            assertTrue(response.contains("{\"error\":\"the request body has " + huge
                    + " bytes, more than the limit of 67108864 bytes"), response);
        }
    }

    private static RequestSpecification raw() {
        return given().contentType("image/png").body(png());
    }

    private static void expect(RequestSpecification request, String query, int status, String message) {
        check(request.when().post(query.isEmpty() ? PREDICT : PREDICT + "?" + query), status, message);
    }

    private static void check(Response r, int status, String message) {
        assertEquals(status, r.statusCode(), r::asString);
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        String error = r.path("error");
        assertTrue(error != null && error.contains(message), () -> "expected '" + message + "' in: " + r.asString());
        assertFalse(error.contains("Exception") || error.contains("\tat "), "no stack trace: " + error);
    }
}
