package dev.sinewich.serve.api.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sinewich.serve.bundle.SafetensorsFile;
import dev.sinewich.serve.model.ReferenceLabels;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Open Inference Protocol REST surface over real HTTP, serving the conformance bundle
 * {@code s4_mixed_downscale} (see {@code application.properties}, test profile): outputs must match
 * the PyTorch reference within 1e-4, and bad requests must get 4xx with a useful message.
 */
@QuarkusTest
class OipRestTest {

    private static final Path CASE = Paths.get("src/test/resources/conformance/s4_mixed_downscale");
    private static final String MODEL = "s4-mixed-downscale";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static SafetensorsFile io;
    private static long[] inputShape;
    private static float[] input;

    @BeforeAll
    static void readFixture() {
        io = SafetensorsFile.open(CASE.resolve("io.safetensors"), "io.safetensors");
        inputShape = io.tensors().get("input").shape();
        input = io.readFloats("input");
    }

    @AfterAll
    static void closeFixture() {
        io.close();
    }

    private static ObjectNode request(String task, String datatype, long[] shape, Object data, String... outputs) {
        ObjectNode body = JSON.createObjectNode();
        body.put("id", "req-1");
        if (task != null) {
            body.putObject("parameters").put("task", task);
        }
        ObjectNode in = body.putArray("inputs").addObject();
        in.put("name", "image").put("datatype", datatype);
        ArrayNode s = in.putArray("shape");
        for (long d : shape) {
            s.add(d);
        }
        in.set("data", JSON.valueToTree(data));
        if (outputs.length > 0) {
            ArrayNode outs = body.putArray("outputs");
            for (String o : outputs) {
                outs.addObject().put("name", o);
            }
        }
        return body;
    }

    private static JsonNode infer(ObjectNode body) throws Exception {
        String text = given().contentType(ContentType.JSON).body(body.toString())
                .when().post("/v2/models/" + MODEL + "/infer")
                .then().statusCode(200).contentType(ContentType.JSON).extract().asString();
        return JSON.readTree(text);
    }

    private static JsonNode output(JsonNode response, String name) {
        for (JsonNode o : response.get("outputs")) {
            if (o.get("name").asText().equals(name)) {
                return o;
            }
        }
        throw new AssertionError("no output " + name + " in " + response.get("outputs"));
    }

    private static float[] floats(JsonNode data) {
        float[] f = new float[data.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = data.get(i).floatValue();
        }
        return f;
    }

    private static long[] shape(JsonNode out) {
        long[] s = new long[out.get("shape").size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = out.get("shape").get(i).asLong();
        }
        return s;
    }

    @Test
    void healthAndMetadata() {
        given().when().get("/v2/health/live").then().statusCode(200).body("live", equalTo(true));
        given().when().get("/v2/health/ready").then().statusCode(200).body("ready", equalTo(true));
        given().when().get("/v2/models/" + MODEL + "/ready").then().statusCode(200).body("ready", equalTo(true));
        given().when().get("/v2/models").then().statusCode(200).body("models", equalTo(List.of(MODEL)));
        given().when().get("/v2").then().statusCode(200).body("extensions", hasItems("binary_tensor_data"));
        given().when().get("/v2/models/" + MODEL).then().statusCode(200)
                .body("name", equalTo(MODEL))
                .body("inputs[0].name", equalTo("image"))
                .body("outputs.name", hasItems("labels", "probabilities", "depth", "normals", "saliency", "edges"))
                .body("parameters.tasks", equalTo(List.of("semseg", "depth", "normals", "saliency", "edges")))
                .body("parameters.engine", equalTo("onnxruntime"));
    }

    @Test
    void everyTaskMatchesTheReferenceOverHttp() throws Exception {
        for (String task : List.of("depth", "normals", "saliency", "edges")) {
            JsonNode response = infer(request(task, "FP32", inputShape, input));
            assertEquals("req-1", response.get("id").asText());
            assertEquals(task, response.get("parameters").get("task").asText());
            JsonNode out = output(response, task);
            assertArrayEquals(io.tensors().get(task + "/" + task).shape(), shape(out), task);
            float[] expected = io.readFloats(task + "/" + task);
            float[] actual = floats(out.get("data"));
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-4f, task + " at " + i);
            }
        }
    }

    @Test
    void segmentationGivesLabelsAndProbabilitiesWhenAsked() throws Exception {
        JsonNode plain = infer(request("semseg", "FP32", inputShape, input));
        assertEquals(1, plain.get("outputs").size(), "probabilities only when asked for");
        JsonNode both = infer(request("semseg", "FP32", inputShape, input, "labels", "probabilities"));
        JsonNode labels = output(both, "labels");
        assertEquals("INT32", labels.get("datatype").asText());
        int[] found = new int[labels.get("data").size()];
        for (int i = 0; i < found.length; i++) {
            found[i] = labels.get("data").get(i).asInt();
        }
        ReferenceLabels.assertConfidentLabels("labels", io.readLongs("semseg/labels"), found,
                io.readFloats("semseg/margin"), 1e-4f);
        float[] probs = floats(output(both, "probabilities").get("data"));
        float[] expectedProbs = io.readFloats("semseg/probabilities");
        for (int i = 0; i < probs.length; i++) {
            assertEquals(expectedProbs[i], probs[i], 1e-4f, "probability at " + i);
        }
    }

    @Test
    void uint8ImagesAreReadAsValueOver255() throws Exception {
        int n = 1;
        int h = 20;
        int w = 30;
        int[] hwc = new int[n * h * w * 3];
        float[] chw = new float[hwc.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    int v = (y * 37 + x * 11 + c * 91) % 256;
                    hwc[(y * w + x) * 3 + c] = v;
                    chw[(c * h + y) * w + x] = v / 255f;
                }
            }
        }
        JsonNode fromBytes = infer(request("depth", "UINT8", new long[] {n, h, w, 3}, hwc));
        JsonNode fromFloats = infer(request("depth", "FP32", new long[] {n, 3, h, w}, chw));
        assertEquals(output(fromFloats, "depth").get("data"), output(fromBytes, "depth").get("data"));
        assertArrayEquals(new long[] {1, h, w}, shape(output(fromBytes, "depth")));
    }

    @Test
    void badRequestsGetA4xxThatSaysWhatWasWrong() {
        float[] small = new float[3 * 4 * 4];
        expectError(request(null, "FP32", new long[] {1, 3, 4, 4}, small), 400, "'task' is required");
        expectError(request("sky", "FP32", new long[] {1, 3, 4, 4}, small), 400, "semseg, depth, normals");
        expectError(request("depth", "FP32", new long[] {1, 3, 4, 5}, small), 400, "needs 60 values, found 48");
        expectError(request("depth", "FP32", new long[] {1, 4, 4, 3}, small), 400, "3 RGB channels");
        expectError(request("depth", "INT64", new long[] {1, 3, 4, 4}, small), 400, "datatype");
        expectError(request("depth", "UINT8", new long[] {1, 4, 4, 3}, new int[] {300, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0}), 400, "0 to 255");
        expectError(request("depth", "FP32", new long[] {1, 3, 4, 4}, small, "saliency"), 400, "no output 'saliency'");
        given().contentType(ContentType.JSON).body("{\"inputs\": [").when().post("/v2/models/" + MODEL + "/infer")
                .then().statusCode(400).body("error", containsString("not valid JSON"));
        given().contentType(ContentType.JSON).body("").when().post("/v2/models/" + MODEL + "/infer")
                .then().statusCode(400).body("error", containsString("empty"));
        given().contentType(ContentType.JSON).body(request("depth", "FP32", new long[] {1, 3, 4, 4}, small).toString())
                .when().post("/v2/models/nope/infer")
                .then().statusCode(404).body("error", containsString("unknown model 'nope'"));
        given().when().get("/v2/models/nope").then().statusCode(404).body("error", containsString(MODEL));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void binaryTensorDataExtensionInAndOut() throws Exception {
        java.nio.ByteBuffer raw = java.nio.ByteBuffer.allocate(input.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(input);
        ObjectNode header = JSON.createObjectNode();
        header.putObject("parameters").put("task", "normals").put("binary_data_output", true);
        ObjectNode in = header.putArray("inputs").addObject();
        in.put("name", "image").put("datatype", "FP32");
        ArrayNode shape = in.putArray("shape");
        for (long d : inputShape) {
            shape.add(d);
        }
        in.putObject("parameters").put("binary_data_size", raw.capacity());
        byte[] json = header.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        io.restassured.response.Response r = given().contentType("application/octet-stream")
                .header("Inference-Header-Content-Length", json.length).body(concat(json, raw.array()))
                .when().post("/v2/models/" + MODEL + "/infer");
        assertEquals(200, r.statusCode(), r.asString());
        int jsonLength = Integer.parseInt(r.header("Inference-Header-Content-Length"));
        byte[] body = r.asByteArray();
        JsonNode meta = JSON.readTree(new String(body, 0, jsonLength, java.nio.charset.StandardCharsets.UTF_8));
        JsonNode out = meta.get("outputs").get(0);
        assertEquals(null, out.get("data"), "binary outputs carry no JSON data");
        int size = out.get("parameters").get("binary_data_size").asInt();
        assertEquals(body.length - jsonLength, size);
        var floats = java.nio.ByteBuffer.wrap(body, jsonLength, size).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        float[] expected = io.readFloats("normals/normals");
        assertEquals(expected.length, floats.remaining());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], floats.get(i), 1e-4f, "normals at " + i);
        }
        given().contentType("application/octet-stream").header("Inference-Header-Content-Length", json.length)
                .body(concat(json, new byte[8])).when().post("/v2/models/" + MODEL + "/infer")
                .then().statusCode(400).body("error", containsString("binary_data_size"));
    }

    @Test
    void encodedImagesAsBytesMatchTheSamePixelsAsUint8() throws Exception {
        int h = 13;
        int w = 17;
        byte[] planar = new byte[3 * h * w];
        int[] hwc = new int[3 * h * w];
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < h * w; p++) {
                int v = (p * 7 + c * 80) % 256;
                planar[c * h * w + p] = (byte) v;
                hwc[p * 3 + c] = v;
            }
        }
        byte[] png = dev.sinewich.serve.imaging.PngWriter.rgb8(h, w, planar);
        ObjectNode bytes = request("saliency", "BYTES", new long[] {2},
                List.of(java.util.Base64.getEncoder().encodeToString(png),
                        java.util.Base64.getEncoder().encodeToString(png)));
        JsonNode fromPng = infer(bytes);
        JsonNode fromUint8 = infer(request("saliency", "UINT8", new long[] {1, h, w, 3}, hwc));
        JsonNode a = output(fromPng, "saliency");
        assertEquals("[2," + h + "," + w + "]", a.get("shape").toString());
        for (int i = 0; i < h * w; i++) {
            assertEquals(output(fromUint8, "saliency").get("data").get(i).floatValue(), a.get("data").get(i).floatValue(),
                    1e-5f, "pixel " + i);
            assertEquals(a.get("data").get(i).floatValue(), a.get("data").get(h * w + i).floatValue(), 1e-5f);
        }
        expectError(request("saliency", "BYTES", new long[] {1}, List.of("bm90IGFuIGltYWdl")), 400,
                "PNG or JPEG");
        byte[] bomb = java.util.Arrays.copyOf(png, png.length);
        java.nio.ByteBuffer.wrap(bomb, 16, 8).putInt(50000).putInt(50000); // IHDR width and height
        fixCrc(bomb);
        expectError(request("saliency", "BYTES", new long[] {1},
                List.of(java.util.Base64.getEncoder().encodeToString(bomb))), 413, "50000");
    }

    /** Recomputes the IHDR chunk's CRC after its fields were edited. */
    private static void fixCrc(byte[] png) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(png, 12, 17);
        java.nio.ByteBuffer.wrap(png, 29, 4).putInt((int) crc.getValue());
    }

    private static void expectError(ObjectNode body, int status, String message) {
        String error = given().contentType(ContentType.JSON).body(body.toString())
                .when().post("/v2/models/" + MODEL + "/infer")
                .then().statusCode(status).contentType(ContentType.JSON).extract().path("error");
        assertTrue(error.contains(message), () -> "expected '" + message + "' in: " + error);
        assertTrue(!error.contains("Exception") && !error.contains("\tat "), "no stack trace: " + error);
    }
}
