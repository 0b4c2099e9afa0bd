package dev.sinewich.serve.api.corpus;

import static dev.sinewich.serve.api.corpus.BadInput.rest;
import static dev.sinewich.serve.api.corpus.Surface.REST_V1;
import static dev.sinewich.serve.api.corpus.Surface.REST_V2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** The corpus rows of the two REST surfaces: native {@code /v1} and OIP {@code /v2}. */
final class RestCases {

    static final String MODEL = "s4-mixed-downscale";
    static final String PREDICT = "v1/models/" + MODEL + "/predict?task=depth";
    static final String INFER = "v2/models/" + MODEL + "/infer";
    /** One byte more than {@code quarkus.http.limits.max-body-size}. */
    static final int OVER_LIMIT = 64 * 1024 * 1024 + 1;

    private static final String HEADER_LENGTH = "Inference-Header-Content-Length";

    private RestCases() {}

    static List<BadInput> nativeRest() {
        return List.of(
                v1Image("truncated PNG", 400, "truncated or corrupt PNG", BadImages.truncatedPng()),
                v1Image("corrupt PNG pixel data", 400, "corrupt PNG", BadImages.corruptPng()),
                v1Image("truncated JPEG", 400, "truncated or corrupt JPEG", BadImages.truncatedJpeg()),
                v1Image("corrupt JPEG tables", 400, "JPEG", BadImages.corruptJpeg()),
                v1Image("zero-byte body", 400, "the request body is empty", new byte[0]),
                v1Image("PNG header claiming 50000x50000", 413, "50000x50000", BadImages.pngBomb()),
                v1Image("JPEG header claiming 50000x50000", 413, "50000x50000", BadImages.jpegBomb()),
                v1Image("non-image bytes sent as image/png", 400, "accepted formats are", BadImages.text()),
                rest(REST_V1, "wrong content type text/plain", 415, "Content-Type 'text/plain' is not accepted",
                        c -> c.post(PREDICT, "text/plain", BadImages.png())),
                rest(REST_V1, "no content type", 415, "the request has no Content-Type",
                        c -> c.post(PREDICT, null, BadImages.png())),
                rest(REST_V1, "unknown model", 404, "unknown model 'nope'",
                        c -> c.post("v1/models/nope/predict?task=depth", "image/png", BadImages.png())),
                rest(REST_V1, "unknown task", 400, "unknown task 'nope'",
                        c -> c.post("v1/models/" + MODEL + "/predict?task=nope", "image/png", BadImages.png())),
                rest(REST_V1, "missing task parameter", 400, "name at least one task",
                        c -> c.post("v1/models/" + MODEL + "/predict", "image/png", BadImages.png())),
                rest(REST_V1, "unknown format", 400, "format must be one of",
                        c -> c.post(PREDICT + "&format=gif", "image/png", BadImages.png())),
                rest(REST_V1, "timeout_ms not a number", 400, "timeout_ms",
                        c -> c.post(PREDICT + "&timeout_ms=soon", "image/png", BadImages.png())),
                rest(REST_V1, "multipart without an image part", 400, "no part named 'image'",
                        c -> multipart(c, "photo", BadImages.png())),
                rest(REST_V1, "multipart with a truncated PNG", 400, "truncated or corrupt PNG",
                        c -> multipart(c, "image", BadImages.truncatedPng())),
                rest(REST_V1, "body over the 64 MB limit", 413, "67108864",
                        c -> c.postHeadersOnly(PREDICT, "image/png", OVER_LIMIT)),
                rest(REST_V1, "unknown query parameter", 400, "unknown query parameter 'taks'; accepted are task",
                        c -> c.post(PREDICT + "&taks=depth", "image/png", BadImages.png())),
                rest(REST_V1, "multipart body cut off mid-part", 400, "multipart",
                        c -> c.post(PREDICT, "multipart/form-data; boundary=" + BOUNDARY,
                                Arrays.copyOf(multipartBody("image", BadImages.png()), 200))),
                rest(REST_V1, "multipart body with 5000 parts", 400, "multipart",
                        c -> c.post(PREDICT, "multipart/form-data; boundary=" + BOUNDARY, manyParts(5000))));
    }

    static List<BadInput> oipRest() {
        return List.of(
                v2Json("malformed JSON", 400, "not valid JSON", "{\"inputs\": [{\"name\": "),
                v2Json("JSON that is not an object", 400, "must be an object", "[1, 2, 3]"),
                rest(REST_V2, "zero-byte body", 400, "the request body is empty",
                        c -> c.post(INFER, "application/json", new byte[0])),
                v2Json("no inputs", 400, "the request has no 'inputs'", "{\"parameters\": {\"task\": \"depth\"}}"),
                v2Json("no task parameter", 400, "the request parameter 'task' is required",
                        "{\"inputs\": [" + uint8Input("[1, 2, 2, 3]", 12) + "]}"),
                v2Json("unknown task", 400, "unknown task 'nope'", request("nope", uint8Input("[1, 2, 2, 3]", 12))),
                rest(REST_V2, "unknown model", 404, "unknown model 'nope'", c -> c.post("v2/models/nope/infer",
                        "application/json", bytes(request("depth", uint8Input("[1, 2, 2, 3]", 12))))),
                v2Json("unknown field", 400, "unknown request field 'input'",
                        "{\"input\": [], \"parameters\": {\"task\": \"depth\"}}"),
                v2Json("input not named image", 400, "exactly one input named 'image'",
                        request("depth", "{\"name\": \"picture\", \"datatype\": \"UINT8\", \"shape\": [1, 1, 1, 3], "
                                + "\"data\": [1, 2, 3]}")),
                v2Json("wrong datatype INT64", 400, "found INT64", request("depth",
                        "{\"name\": \"image\", \"datatype\": \"INT64\", \"shape\": [1, 1, 1, 3], \"data\": [1, 2, 3]}")),
                v2Json("three dimensions", 400, "must have 4 dimensions", request("depth", uint8Input("[2, 2, 3]", 12))),
                v2Json("four colour channels", 400, "3 RGB channels", request("depth", uint8Input("[1, 2, 2, 4]", 16))),
                v2Json("negative dimension", 400, "dimensions must be positive",
                        request("depth", uint8Input("[1, -2, 2, 3]", 12))),
                v2Json("huge dimensions", 413, "pixels per image; at most",
                        request("depth", uint8Input("[1, 100000, 100000, 3]", 12))),
                v2Json("more pixels than one request may carry", 413,
                        "256000000 pixels; at most 16777216 are accepted per request",
                        request("depth", uint8Input("[1000000, 16, 16, 3]", 12))),
                v2Json("FP32 images over the request pixel limit", 413, "sinewich.limits.max-request-pixels",
                        request("depth", "{\"name\": \"image\", \"datatype\": \"FP32\", "
                                + "\"shape\": [2, 3, 4096, 4096], \"data\": [0.5]}")),
                v2Json("BYTES: five 4096x4096 PNGs, each within the image limit", 413,
                        "5 images of 4096x4096 pixels make 83886080 pixels; at most 16777216",
                        request("depth", bytesInput(BadImages.pngClaiming(4096, 4096), 5))),
                v2Json("unknown request parameter", 400, "unknown request parameter 'taks'; accepted are task",
                        "{\"parameters\": {\"task\": \"depth\", \"taks\": \"x\"}, \"inputs\": ["
                                + uint8Input("[1, 2, 2, 3]", 12) + "]}"),
                v2Json("a task name of 5 MB", 400, "more characters", request("d".repeat(5 << 20),
                        uint8Input("[1, 2, 2, 3]", 12))),
                v2Json("10,000 inputs", 400, "expected exactly one input named 'image'", manyInputs(10_000)),
                v2Json("data shorter than the shape", 400, "needs 12 values, found 11",
                        request("depth", uint8Input("[1, 2, 2, 3]", 11))),
                v2Json("UINT8 value out of range", 400, "UINT8 values are integers from 0 to 255", request("depth",
                        "{\"name\": \"image\", \"datatype\": \"UINT8\", \"shape\": [1, 1, 1, 3], \"data\": [1, 300, 3]}")),
                v2Json("NaN literal in FP32 data", 400, "not valid JSON", request("depth",
                        "{\"name\": \"image\", \"datatype\": \"FP32\", \"shape\": [1, 3, 1, 1], \"data\": [0.5, NaN, 1]}")),
                binaryFp32("NaN in binary FP32 data", 400, "element 1 is NaN; pixel values must be finite",
                        new float[] {0.5f, Float.NaN, 1f}, 12),
                binaryFp32("Infinity in binary FP32 data", 400, "element 2 is Infinity; pixel values must be finite",
                        new float[] {0.5f, 0.25f, Float.POSITIVE_INFINITY}, 12),
                binaryFp32("binary_data_size beyond the body", 400, "declares binary_data_size 24",
                        new float[] {0.5f, 0.25f, 1f}, 24),
                binaryFp32("binary FP32 size not a multiple of 4", 400, "not a multiple of 4",
                        new float[] {0.5f, 0.25f, 1f}, 10),
                binaryFp32("binary bytes nobody claims", 400, "no input claims them",
                        new float[] {0.5f, 0.25f, 1f, 9f}, 12),
                rest(REST_V2, "header length not a number", 400, HEADER_LENGTH + " must be an integer",
                        c -> c.post(INFER, "application/octet-stream", bytes(request("depth", uint8Input("[1, 2, 2, 3]",
                                12))), Map.of(HEADER_LENGTH, "twelve"))),
                v2Json("BYTES element not base64", 400, "is not base64", request("depth",
                        "{\"name\": \"image\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [\"%%%\"]}")),
                v2Json("BYTES truncated PNG", 400, "truncated or corrupt PNG", request("depth", bytesInput(
                        BadImages.truncatedPng()))),
                v2Json("BYTES PNG claiming 50000x50000", 413, "50000x50000", request("depth", bytesInput(
                        BadImages.pngBomb()))),
                v2Json("unknown output", 400, "no output 'nope'", "{\"parameters\": {\"task\": \"depth\"}, "
                        + "\"inputs\": [" + uint8Input("[1, 2, 2, 3]", 12) + "], \"outputs\": [{\"name\": \"nope\"}]}"),
                rest(REST_V2, "JSON body over the 64 MB limit", 413, "67108864",
                        c -> c.postHeadersOnly(INFER, "application/json", OVER_LIMIT)));
    }

    private static BadInput v1Image(String name, int status, String fragment, byte[] body) {
        String type = body.length > 2 && (body[0] & 0xff) == 0xff ? "image/jpeg" : "image/png";
        return rest(REST_V1, name, status, fragment, c -> c.post(PREDICT, type, body));
    }

    private static final String BOUNDARY = "corpus-boundary-7d1e";

    private static Answer multipart(Clients c, String part, byte[] file) throws Exception {
        return c.post(PREDICT, "multipart/form-data; boundary=" + BOUNDARY, multipartBody(part, file));
    }

    private static byte[] multipartBody(String part, byte[] file) {
        byte[] head = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + part
                + "\"; filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(head.length + file.length + tail.length).put(head).put(file).put(tail).array();
    }

    /** Many small form fields before the image part. */
    private static byte[] manyParts(int fields) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fields; i++) {
            b.append("--").append(BOUNDARY).append("\r\nContent-Disposition: form-data; name=\"f").append(i)
                    .append("\"\r\n\r\nx\r\n");
        }
        byte[] head = b.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] image = multipartBody("image", BadImages.png());
        return ByteBuffer.allocate(head.length + image.length).put(head).put(image).array();
    }

    private static BadInput v2Json(String name, int status, String fragment, String json) {
        return rest(REST_V2, name, status, fragment, c -> c.post(INFER, "application/json", bytes(json)));
    }

    /** A binary tensor data extension request: FP32 (1, 3, 1, 1) whose JSON declares {@code size} bytes. */
    private static BadInput binaryFp32(String name, int status, String fragment, float[] values, int size) {
        return rest(REST_V2, name, status, fragment, c -> {
            byte[] json = bytes(request("depth", "{\"name\": \"image\", \"datatype\": \"FP32\", \"shape\": [1, 3, 1, 1], "
                    + "\"parameters\": {\"binary_data_size\": " + size + "}}"));
            ByteBuffer body = ByteBuffer.allocate(json.length + values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            body.put(json);
            for (float v : values) {
                body.putFloat(v);
            }
            return c.post(INFER, "application/octet-stream", body.array(),
                    Map.of(HEADER_LENGTH, Integer.toString(json.length)));
        });
    }

    static String request(String task, String input) {
        return "{\"parameters\": {\"task\": \"" + task + "\"}, \"inputs\": [" + input + "]}";
    }

    static String uint8Input(String shape, int count) {
        int[] data = new int[count];
        Arrays.setAll(data, i -> (i * 37) % 256);
        return "{\"name\": \"image\", \"datatype\": \"UINT8\", \"shape\": " + shape + ", \"data\": "
                + Arrays.toString(data) + "}";
    }

    private static String bytesInput(byte[] file) {
        return bytesInput(file, 1);
    }

    private static String bytesInput(byte[] file, int copies) {
        String one = "\"" + Base64.getEncoder().encodeToString(file) + "\"";
        return "{\"name\": \"image\", \"datatype\": \"BYTES\", \"shape\": [" + copies + "], \"data\": ["
                + String.join(", ", java.util.Collections.nCopies(copies, one)) + "]}";
    }

    private static String manyInputs(int count) {
        StringBuilder inputs = new StringBuilder();
        for (int i = 0; i < count; i++) {
            inputs.append(i == 0 ? "" : ", ").append("{\"name\": \"input_").append(i)
                    .append("\", \"datatype\": \"UINT8\", \"shape\": [1], \"data\": [1]}");
        }
        return "{\"parameters\": {\"task\": \"depth\"}, \"inputs\": [" + inputs + "]}";
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
