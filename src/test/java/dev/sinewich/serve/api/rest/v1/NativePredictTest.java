package dev.sinewich.serve.api.rest.v1;

import static dev.sinewich.serve.api.rest.v1.NativeApi.H;
import static dev.sinewich.serve.api.rest.v1.NativeApi.JSON;
import static dev.sinewich.serve.api.rest.v1.NativeApi.MODEL;
import static dev.sinewich.serve.api.rest.v1.NativeApi.W;
import static dev.sinewich.serve.api.rest.v1.NativeApi.json;
import static dev.sinewich.serve.api.rest.v1.NativeApi.png;
import static dev.sinewich.serve.api.rest.v1.NativeApi.predict;
import static dev.sinewich.serve.api.rest.v1.NativeApi.readPng;
import static dev.sinewich.serve.api.rest.v1.NativeApi.tensor;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sinewich.serve.imaging.PngWriter;
import dev.sinewich.serve.imaging.Visualizer;
import dev.sinewich.serve.model.OutputTensor;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import dev.sinewich.serve.testing.Management;

/**
 * {@code POST /v1/models/{model}/predict} over real HTTP with real PNG and JPEG files: JSON
 * summaries for one, several and all tasks, pictures equal to {@link Visualizer}'s for the same
 * outputs, depth in millimetres, NumPy arrays equal to the JSON data, and multipart uploads.
 */
@QuarkusTest
class NativePredictTest {

    private static final List<String> ALL = List.of("semseg", "depth", "normals", "saliency", "edges");

    @Test
    void jsonForOneTaskSummarisesItsOutput() {
        JsonNode a = json("task=depth");
        assertEquals(MODEL, a.get("model").asText());
        assertEquals(H, a.get("image").get("height").asInt());
        assertEquals(W, a.get("image").get("width").asInt());
        assertEquals(List.of("depth"), names(a.get("tasks")));
        JsonNode depth = a.get("tasks").get("depth");
        assertEquals("depth", depth.get("kind").asText());
        assertEquals("mm", depth.get("unit").asText());
        assertTrue(depth.get("latency").get("queue_seconds").asDouble() >= 0);
        assertTrue(depth.get("latency").get("compute_seconds").asDouble() > 0);
        JsonNode out = depth.get("outputs").get("depth");
        assertEquals("[1," + H + "," + W + "]", out.get("shape").toString());
        assertTrue(out.get("min").asDouble() <= out.get("mean").asDouble()
                && out.get("mean").asDouble() <= out.get("max").asDouble(), out::toString);
        assertNull(out.get("data"), "data only with include=data");
    }

    @Test
    void severalTasksRunTogetherAndKeepTheirOrder() {
        JsonNode a = json("task=semseg&task=normals&format=json");
        JsonNode b = json("tasks=semseg,normals");
        assertEquals(List.of("semseg", "normals"), names(a.get("tasks")));
        assertEquals(a.get("tasks").get("semseg").get("classes"), b.get("tasks").get("semseg").get("classes"));
        assertTrue(a.get("batch_rows").asInt() >= 2, "one image × two tasks share one pass");
        JsonNode classes = a.get("tasks").get("semseg").get("classes");
        assertEquals(5, classes.size());
        long pixels = 0;
        double fraction = 0;
        for (int i = 0; i < classes.size(); i++) {
            assertEquals("c" + i, classes.get(i).get("name").asText());
            assertEquals(i, classes.get(i).get("index").asInt());
            pixels += classes.get(i).get("pixels").asLong();
            fraction += classes.get(i).get("fraction").asDouble();
        }
        assertEquals(H * W, pixels);
        assertEquals(1, fraction, 1e-9);
        assertEquals("#800000", classes.get(1).get("color").asText());
        assertEquals(3, a.get("tasks").get("normals").get("outputs").get("normals").get("channel_means").size());
    }

    @Test
    void allRunsEveryTaskWithItsData() {
        JsonNode a = json("task=all&include=data");
        assertEquals(ALL, names(a.get("tasks")));
        OutputTensor labels = tensor(a, "semseg", "labels");
        JsonNode classes = a.get("tasks").get("semseg").get("classes");
        for (int c = 0; c < 5; c++) {
            int label = c;
            long count = java.util.Arrays.stream(labels.ints()).filter(v -> v == label).count();
            assertEquals(count, classes.get(c).get("pixels").asLong(), "class " + c);
        }
        JsonNode saliency = a.get("tasks").get("saliency").get("outputs").get("saliency");
        OutputTensor s = tensor(a, "saliency", "saliency");
        assertEquals(H * W, s.floats().length);
        float max = Float.NEGATIVE_INFINITY;
        for (float v : s.floats()) {
            max = Math.max(max, v);
        }
        assertEquals(max, saliency.get("max").floatValue());
        assertEquals("[1,3," + H + "," + W + "]",
                a.get("tasks").get("normals").get("outputs").get("normals").get("shape").toString());
    }

    @Test
    void pngIsTheVisualizersPictureOfTheSameOutputs() throws Exception {
        // each picture is compared with the outputs of a pass of the same shape (one row), so bit for bit
        for (String task : ALL) {
            JsonNode data = json("task=" + task + "&include=data");
            Response r = predict("task=" + task + "&format=png");
            assertEquals("image/png", r.contentType());
            byte[] png = r.asByteArray();
            BufferedImage image = readPng(png);
            assertEquals(W, image.getWidth(), task);
            assertEquals(H, image.getHeight(), task);
            byte[] expected;
            switch (task) {
                case "semseg":
                    expected = Visualizer.segmentation(tensor(data, task, "labels"), 0);
                    JsonNode legend = JSON.readTree(r.header("X-Sinewich-Legend"));
                    assertEquals(5, legend.size());
                    assertEquals("c1", legend.get(1).get("name").asText());
                    assertEquals("#800000", legend.get(1).get("color").asText());
                    break;
                case "depth":
                    expected = Visualizer.depth(tensor(data, task, "depth"), 0);
                    JsonNode range = JSON.readTree(r.header("X-Sinewich-Depth-Range"));
                    JsonNode depth = data.get("tasks").get("depth").get("outputs").get("depth");
                    assertEquals(depth.get("min").floatValue(), range.get("near").floatValue());
                    assertEquals(depth.get("max").floatValue(), range.get("far").floatValue());
                    assertEquals("mm", range.get("unit").asText());
                    break;
                case "normals":
                    expected = Visualizer.normals(tensor(data, task, "normals"), 0);
                    break;
                default:
                    expected = Visualizer.grey(tensor(data, task, task), 0);
                    break;
            }
            assertArrayEquals(expected, png, task);
        }
    }

    @Test
    void acceptHeaderChoosesTheFormatWhenNoneIsNamed() {
        Response picture = predict(given().contentType("image/png").accept("image/png").body(png()), "task=normals");
        assertEquals("image/png", picture.contentType());
        assertEquals(W, readPng(picture.asByteArray()).getWidth());
        Response array = predict(given().contentType("image/png").accept("application/x-npy").body(png()),
                "task=normals");
        assertEquals("application/x-npy", array.contentType());
        Response text = predict(given().contentType("image/png").accept("image/png").body(png()),
                "task=normals&format=json");
        assertTrue(text.contentType().startsWith("application/json"), "the format parameter wins");
    }

    @Test
    void png16HoldsDepthInMillimetres() {
        JsonNode data = json("task=depth&include=data");
        float[] depth = tensor(data, "depth", "depth").floats();
        Response r = predict("task=depth&format=png16");
        assertEquals("image/png", r.contentType());
        Raster raster = readPng(r.asByteArray()).getRaster();
        assertEquals(16, raster.getSampleModel().getSampleSize(0));
        assertEquals(1, raster.getNumBands());
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                // the bundle's depth unit is "mm": one unit is one millimetre
                assertEquals(PngWriter.toUnsigned16(depth[y * W + x]), raster.getSample(x, y, 0), "(" + x + "," + y + ")");
            }
        }
    }

    @Test
    void npyHoldsTheSameValuesAsJsonData() {
        for (String[] t : new String[][] {{"semseg", "labels", "<i4"}, {"depth", "depth", "<f4"},
            {"normals", "normals", "<f4"}}) {
            JsonNode data = json("task=" + t[0] + "&include=data");
            Response r = predict("task=" + t[0] + "&format=npy");
            assertEquals("application/x-npy", r.contentType());
            assertTrue(r.header("Content-Disposition").contains(t[0] + ".npy"));
            OutputTensor expected = tensor(data, t[0], t[1]);
            Npy npy = Npy.parse(r.asByteArray());
            assertEquals(t[2], npy.descr, t[0]);
            assertArrayEquals(expected.shape(), npy.shape, t[0]);
            if (expected.ints() != null) {
                int[] actual = new int[expected.ints().length];
                npy.data.asIntBuffer().get(actual);
                assertArrayEquals(expected.ints(), actual, t[0]);
            } else {
                float[] actual = new float[expected.floats().length];
                npy.data.asFloatBuffer().get(actual);
                assertArrayEquals(expected.floats(), actual, t[0]);
            }
        }
    }

    @Test
    void multipartUploadAndJpegBodiesWork() {
        JsonNode raw = json("task=saliency&include=data");
        Response upload = predict(given().multiPart("image", "photo.png", png(), "image/png"),
                "task=saliency&include=data");
        JsonNode fromUpload = readTree(upload.asString());
        assertEquals(raw.get("tasks").get("saliency").get("outputs"), fromUpload.get("tasks").get("saliency")
                .get("outputs"));
        JsonNode fromJpeg = readTree(predict(given().contentType("image/jpeg").body(NativeApi.jpeg()),
                "task=saliency").asString());
        assertEquals(W, fromJpeg.get("image").get("width").asInt());
        Response picture = predict(given().multiPart("image", "photo.jpg", NativeApi.jpeg(), "image/jpeg"),
                "task=depth&format=png");
        assertEquals(H, readPng(picture.asByteArray()).getHeight());
    }

    @Test
    void requestsAreCountedUnderTheNativeApiLabel() {
        json("task=edges");
        json("task=semseg&task=depth");
        String scrape = Management.given().accept("text/plain").get("/q/metrics").then().statusCode(200).extract().asString()
                .replace(",}", "}");
        for (String task : List.of("edges", "multi")) {
            String line = "sinewich_request_duration_seconds_count{api=\"rest_native\",outcome=\"success\",task=\""
                    + task + "\"}";
            assertTrue(scrape.contains(line), () -> "missing in the scrape: " + line);
        }
    }

    private static JsonNode readTree(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** A parsed {@code .npy} file, checked against the version 1.0 layout. */
    private static final class Npy {
        String descr;
        long[] shape;
        ByteBuffer data;

        static Npy parse(byte[] file) {
            assertArrayEquals(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0},
                    java.util.Arrays.copyOf(file, 8), "magic and version 1.0");
            int headerLength = ByteBuffer.wrap(file, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
            assertEquals(0, (10 + headerLength) % 64, "data aligned to 64 bytes");
            String header = new String(file, 10, headerLength, StandardCharsets.US_ASCII);
            assertTrue(header.endsWith("\n"), header);
            assertTrue(header.contains("'fortran_order': False"), header);
            Npy npy = new Npy();
            Matcher descr = Pattern.compile("'descr': '([^']+)'").matcher(header);
            assertTrue(descr.find(), header);
            npy.descr = descr.group(1);
            Matcher shape = Pattern.compile("'shape': \\(([0-9, ]*)\\)").matcher(header);
            assertTrue(shape.find(), header);
            npy.shape = Pattern.compile(",\\s*").splitAsStream(shape.group(1).trim()).filter(s -> !s.isEmpty())
                    .mapToLong(Long::parseLong).toArray();
            npy.data = ByteBuffer.wrap(file, 10 + headerLength, file.length - 10 - headerLength).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            long elements = java.util.Arrays.stream(npy.shape).reduce(1, (a, b) -> a * b);
            assertEquals(elements * 4, npy.data.remaining(), "data size matches the shape");
            return npy;
        }
    }
}
