package dev.sinewich.serve.api.rest.v1;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinewich.serve.imaging.PatternImages;
import dev.sinewich.serve.model.OutputTensor;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Test images and calls of the native REST API, shared by the {@code Native*Test} classes. */
final class NativeApi {

    static final String MODEL = "s4-mixed-downscale";
    static final String PREDICT = "/v1/models/" + MODEL + "/predict";
    static final int H = 20;
    static final int W = 30;
    static final ObjectMapper JSON = new ObjectMapper();

    private NativeApi() {}

    /** A 30 × 20 RGB PNG with a smooth pattern. */
    static byte[] png() {
        return PatternImages.png(H, W);
    }

    /** The same picture as a JPEG. */
    static byte[] jpeg() {
        return PatternImages.jpeg(H, W);
    }

    /** Posts the PNG as a raw body with a query string, expecting 200. */
    static Response predict(String query) {
        return predict(given().contentType("image/png").body(png()), query);
    }

    static Response predict(RequestSpecification request, String query) {
        Response r = request.when().post(PREDICT + "?" + query);
        assertEquals(200, r.statusCode(), () -> r.asString());
        return r;
    }

    /** The JSON answer for a query. */
    static JsonNode json(String query) {
        try {
            return JSON.readTree(predict(query).asString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rebuilds an output tensor from a JSON answer made with {@code include=data}. */
    static OutputTensor tensor(JsonNode answer, String task, String output) {
        JsonNode out = answer.get("tasks").get(task).get("outputs").get(output);
        long[] shape = new long[out.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = out.get("shape").get(i).asLong();
        }
        JsonNode data = out.get("data");
        if ("INT32".equals(out.get("datatype").asText())) {
            int[] ints = new int[data.size()];
            for (int i = 0; i < ints.length; i++) {
                ints[i] = data.get(i).asInt();
            }
            return new OutputTensor(output, shape, null, ints);
        }
        float[] floats = new float[data.size()];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = data.get(i).floatValue();
        }
        return new OutputTensor(output, shape, floats, null);
    }

    /** Reads a PNG into a raster-backed image, failing the test if it is not one. */
    static BufferedImage readPng(byte[] png) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertTrue(image != null, "not a PNG");
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
