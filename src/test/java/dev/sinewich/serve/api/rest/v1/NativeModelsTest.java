package dev.sinewich.serve.api.rest.v1;

import static dev.sinewich.serve.api.rest.v1.NativeApi.MODEL;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.oneOf;

import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The native API's model and task listings over real HTTP, serving the conformance bundle {@code s4_mixed_downscale}. */
@QuarkusTest
class NativeModelsTest {

    private static final List<String> TASKS = List.of("semseg", "depth", "normals", "saliency", "edges");

    @Test
    void listsTheServedModel() {
        given().when().get("/v1/models").then().statusCode(200)
                .body("models", hasSize(1))
                .body("models[0].name", equalTo(MODEL))
                .body("models[0].version", equalTo("1"))
                .body("models[0].device", equalTo("cpu"))
                .body("models[0].engine", equalTo("onnxruntime"))
                .body("models[0].input.height", equalTo(32))
                .body("models[0].input.width", equalTo(48))
                .body("models[0].kernel_policy", oneOf("cache", "on-the-fly"))
                .body("models[0].tasks", equalTo(TASKS));
    }

    @Test
    void describesOneModelInFull() {
        given().when().get("/v1/models/" + MODEL).then().statusCode(200)
                .body("name", equalTo(MODEL))
                .body("backbone.stages", equalTo(4))
                .body("backbone.depths", equalTo(List.of(2, 1, 2, 2)))
                .body("kernels.policy", oneOf("cache", "on-the-fly"))
                .body("memory.total", greaterThan(0))
                .body("memory.heads.keySet()", equalTo(new java.util.LinkedHashSet<>(TASKS)))
                .body("tasks.name", equalTo(TASKS));
    }

    @Test
    void describesEveryTask() {
        given().when().get("/v1/models/" + MODEL + "/tasks").then().statusCode(200)
                .body("model", equalTo(MODEL))
                .body("tasks.name", equalTo(TASKS))
                .body("tasks.kind", equalTo(List.of("segmentation", "depth", "normals", "saliency", "edges")))
                .body("tasks[0].outputs", equalTo(5))
                .body("tasks[0].labels", equalTo(List.of("c0", "c1", "c2", "c3", "c4")))
                .body("tasks[0].unit", nullValue())
                .body("tasks[0].output_names", equalTo(List.of("labels", "probabilities")))
                .body("tasks[1].unit", equalTo("mm"))
                .body("tasks[1].labels", nullValue())
                .body("tasks[2].output_names", equalTo(List.of("normals")))
                .body("tasks.omega", org.hamcrest.Matchers.everyItem(hasSize(4)));
    }

    @Test
    void unknownModelIs404NamingTheServedOne() {
        for (String path : List.of("/v1/models/nope", "/v1/models/nope/tasks")) {
            given().when().get(path).then().statusCode(404)
                    .body("error", containsString("unknown model 'nope'"))
                    .body("error", containsString(MODEL));
        }
    }
}
