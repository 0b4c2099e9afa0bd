package dev.sinewich.serve.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The admin tests (task add and remove at run time, failed and successful model replace, unload and
 * load) on the PyTorch engine, where {@link SecurityAndAdminTest} runs them on the default engine
 * of a CPU, ONNX Runtime.
 */
@QuarkusTest
@TestProfile(SecurityAndAdminOnPyTorchTest.KeysOnPyTorch.class)
class SecurityAndAdminOnPyTorchTest extends SecurityAndAdminTest {

    /** Keys on, admin on, the PyTorch engine. */
    public static class KeysOnPyTorch extends Keys {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
            overrides.put("sinewich.model.engine", "pytorch");
            return overrides;
        }
    }

    @Test
    void servesOnThePyTorchEngine() {
        given().auth().oauth2(KEY).get("/v1/models").then().statusCode(200)
                .body("models[0].engine", equalTo("pytorch"));
    }
}
