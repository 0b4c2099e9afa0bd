package dev.sinewich.serve.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With the admin API on but no model repository configured, bundles cannot be loaded at run time
 * at all (403, whatever the path, by {@code /admin} or by the repository API), while the other
 * admin endpoints work.
 */
@QuarkusTest
@TestProfile(AdminWithoutRepositoryTest.AdminOnly.class)
class AdminWithoutRepositoryTest {

    private static final String ADMIN = "admin-key-2";

    /** Admin on, no repository. */
    public static class AdminOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sinewich.security.admin-enabled", "true", "sinewich.security.admin-keys", ADMIN);
        }
    }

    @Test
    void loadingBundlesIsOffWithoutARepository() {
        String bundle = Path.of("src/test/resources/conformance/s2_lora_lowpass_clock/bundle").toAbsolutePath()
                .toString();
        given().auth().oauth2(ADMIN).contentType(ContentType.JSON).body("{\"path\":\"" + bundle + "\"}")
                .put("/admin/model").then().statusCode(403)
                .body("error", containsString("no model repository is configured (sinewich.model.repository)"));
        given().auth().oauth2(ADMIN).post("/v2/repository/models/s2_lora_lowpass_clock/load").then().statusCode(403)
                .body("error", containsString("no model repository is configured (sinewich.model.repository)"));
        given().auth().oauth2(ADMIN).post("/v2/repository/index").then().statusCode(403)
                .body("error", containsString("no model repository is configured"));
        // without a repository the server metadata does not list the repository extension
        given().get("/v2").then().statusCode(200).body("extensions", not(hasItem("model_repository")));
        given().get("/v2/health/ready").then().statusCode(200);
        given().auth().oauth2(ADMIN).delete("/admin/models/s4-mixed-downscale/tasks/nope").then().statusCode(400)
                .body("error", containsString("nope"));
    }
}
