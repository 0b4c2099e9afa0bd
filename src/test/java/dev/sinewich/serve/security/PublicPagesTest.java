package dev.sinewich.serve.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;
import dev.sinewich.serve.testing.Management;

/**
 * With API keys on, the demo page, its assets and the API documentation stay public, while the
 * API calls the page makes need the key it sends as {@code Authorization: Bearer}.
 */
@QuarkusTest
@TestProfile(SecurityAndAdminTest.Keys.class)
class PublicPagesTest {

    @Test
    void theDemoPageAndTheDocumentationNeedNoKey() {
        given().get("/").then().statusCode(200).contentType(startsWith("text/html"));
        given().get("/index.html").then().statusCode(200).contentType(startsWith("text/html"));
        given().get("/app.js").then().statusCode(200);
        given().get("/style.css").then().statusCode(200);
        Management.given().get("/q/openapi").then().statusCode(200);
        Management.given().get("/q/swagger-ui/").then().statusCode(200);
    }

    @Test
    void thePagesApiCallsNeedTheKey() {
        given().get("/v1/models").then().statusCode(401).body("error", containsString("API key"));
        given().auth().oauth2(SecurityAndAdminTest.KEY).get("/v1/models").then().statusCode(200);
    }
}
