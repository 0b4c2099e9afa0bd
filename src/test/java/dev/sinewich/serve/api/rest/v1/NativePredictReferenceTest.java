package dev.sinewich.serve.api.rest.v1;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinewich.serve.bundle.SafetensorsFile;
import dev.sinewich.serve.model.ReferenceLabels;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1} predict against the independent reference: the embedded default model served from
 * its folder, the two held-out PNGs of {@code src/test/resources/eval/synthetic-heldout} uploaded as
 * files, and every output of every task (JSON with {@code include=data}) compared with
 * {@code conformance/default_model/io.safetensors}, which tools/train/make_default_fixture.py wrote
 * from the PyTorch reference for the same pixels (1e-4; labels where the reference's margin is
 * clear).
 */
@QuarkusTest
@TestProfile(NativePredictReferenceTest.DefaultModel.class)
class NativePredictReferenceTest {

    private static final float TOLERANCE = 1e-4f;
    private static final Path IO = Path.of("src/test/resources/conformance/default_model/io.safetensors");
    private static final Path IMAGES = Path.of("src/test/resources/eval/synthetic-heldout/images");

    /** The embedded default model, loaded from its source folder. */
    public static class DefaultModel implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.model.path", "src/main/resources/default-model");
        }
    }

    @Test
    void everyOutputOfEveryTaskMatchesTheReference() throws Exception {
        ObjectMapper json = new ObjectMapper();
        try (SafetensorsFile io = SafetensorsFile.open(IO, "io.safetensors")) {
            int compared = 0;
            for (int image = 0; image < 2; image++) {
                byte[] png = Files.readAllBytes(IMAGES.resolve(String.format("%06d.png", image)));
                String body = given().contentType("image/png").accept("application/json").body(png)
                        .post("/v1/models/sinewich-default/predict?task=all&include=data")
                        .then().statusCode(200).extract().asString();
                JsonNode tasks = json.readTree(body).get("tasks");
                for (Iterator<String> t = tasks.fieldNames(); t.hasNext(); ) {
                    String task = t.next();
                    for (Iterator<Map.Entry<String, JsonNode>> o = tasks.get(task).get("outputs").fields(); o.hasNext(); ) {
                        Map.Entry<String, JsonNode> output = o.next();
                        String key = task + "/" + output.getKey();
                        SafetensorsFile.TensorInfo expected = io.tensors().get(key);
                        assertTrue(expected != null, "the reference has no " + key);
                        long[] shape = expected.shape();
                        int per = (int) (Arrays.stream(shape).reduce(1, (a, b) -> a * b) / shape[0]);
                        JsonNode data = output.getValue().get("data");
                        assertEquals(per, data.size(), key + " values of image " + image);
                        String what = key + " of image " + image;
                        if (output.getKey().equals("labels")) {
                            long[] labels = Arrays.copyOfRange(io.readLongs(key), image * per, (image + 1) * per);
                            float[] margin = io.readFloats(task + "/margin");
                            int plane = margin.length / (int) shape[0];
                            int[] found = new int[per];
                            Arrays.setAll(found, i -> data.get(i).intValue());
                            ReferenceLabels.assertConfidentLabels(what, labels, found,
                                    Arrays.copyOfRange(margin, image * plane, (image + 1) * plane), TOLERANCE);
                        } else {
                            float[] reference = Arrays.copyOfRange(io.readFloats(key), image * per, (image + 1) * per);
                            float worst = 0;
                            for (int i = 0; i < per; i++) {
                                worst = Math.max(worst, Math.abs(reference[i] - data.get(i).floatValue()));
                            }
                            float w = worst;
                            assertTrue(worst <= TOLERANCE, () -> what + ": max |diff| " + w);
                        }
                        compared++;
                    }
                }
            }
            assertTrue(compared >= 8, "outputs compared: " + compared);
        }
    }
}
