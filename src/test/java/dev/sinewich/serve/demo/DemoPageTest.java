package dev.sinewich.serve.demo;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import dev.sinewich.serve.testing.Management;

/**
 * The demo page over real HTTP: {@code /} is the HTML page, every script and style sheet it names
 * is served with the right type, and no served asset points at another host (no CDN, no web fonts),
 * while the OpenAPI document and Swagger UI the page links to keep working.
 */
@QuarkusTest
class DemoPageTest {

    private static final Pattern SCRIPT = Pattern.compile("<script\\b[^>]*\\bsrc=\"([^\"]+)\"");
    private static final Pattern STYLE = Pattern.compile("<link\\b[^>]*\\brel=\"stylesheet\"[^>]*\\bhref=\"([^\"]+)\"");
    private static final Pattern LINK = Pattern.compile("<a\\b[^>]*\\bhref=\"([^\"]+)\"");
    /** Absolute or protocol-relative URLs; the page only uses paths on its own server. */
    private static final Pattern REMOTE = Pattern.compile("(?i)https?://|(?:src|href)\\s*=\\s*[\"']?//|url\\(\\s*[\"']?//"
            + "|@import");

    @Test
    void rootServesTheHtmlPage() {
        given().get("/").then().statusCode(200)
                .contentType(startsWith("text/html"))
                .body(containsString("<html lang=\"en\">"))
                .body(containsString("id=\"task-list\""))
                .body(containsString("type=\"file\""));
    }

    @Test
    void everyReferencedScriptAndStyleIsServed() {
        String html = given().get("/").then().statusCode(200).extract().asString();
        List<String> scripts = matches(SCRIPT, html);
        List<String> styles = matches(STYLE, html);
        assertFalse(scripts.isEmpty(), "the page names no script");
        assertFalse(styles.isEmpty(), "the page names no style sheet");
        for (String script : scripts) {
            given().get(path(script)).then().statusCode(200).contentType(containsString("javascript"));
        }
        for (String style : styles) {
            given().get(path(style)).then().statusCode(200).contentType(startsWith("text/css"));
        }
    }

    @Test
    void noServedAssetPointsAtAnotherHost() {
        String html = given().get("/").then().statusCode(200).extract().asString();
        List<String> assets = new ArrayList<>(List.of("/"));
        matches(SCRIPT, html).forEach(s -> assets.add(path(s)));
        matches(STYLE, html).forEach(s -> assets.add(path(s)));
        for (String asset : assets) {
            String body = given().get(asset).then().statusCode(200).extract().asString();
            Matcher m = REMOTE.matcher(body);
            assertFalse(m.find(), () -> asset + " refers to another host: ..."
                    + body.substring(Math.max(0, m.start() - 40), Math.min(body.length(), m.end() + 40)) + "...");
        }
    }

    @Test
    void theDocumentationIsOnTheManagementPortAndEveryLinkWorks() {
        String html = given().get("/").then().statusCode(200).extract().asString();
        String text = html.replaceAll("\\s+", " ");
        assertTrue(text.contains("/q/openapi") && text.contains("management port"), "the page says where the API documentation is");
        for (String link : matches(LINK, html)) {
            given().get(path(link)).then().statusCode(200);
        }
        given().get("/q/openapi").then().statusCode(404); // not on the API port
        Management.given().get("/q/openapi").then().statusCode(200).body(containsString("/v1/models/{model}/predict"));
        Management.given().get("/q/swagger-ui/").then().statusCode(200).contentType(startsWith("text/html"));
    }

    @Test
    void thePagesApiCallsAnswerAsTheScriptExpects() {
        Response models = given().get("/v1/models");
        assertEquals(200, models.statusCode());
        String name = models.jsonPath().getString("models[0].name");
        List<Map<String, Object>> tasks = given().get("/v1/models/" + name + "/tasks").then().statusCode(200)
                .extract().jsonPath().getList("tasks");
        assertFalse(tasks.isEmpty());
        String script = given().get("/app.js").then().statusCode(200).extract().asString();
        for (String used : List.of("'v1/models'", "/tasks'", "/predict?task=", "&format=png", "X-Sinewich-Queue-Seconds",
                "X-Sinewich-Compute-Seconds", "X-Sinewich-Legend", "X-Sinewich-Depth-Range", "Authorization",
                "'image'")) {
            assertTrue(script.contains(used), "app.js does not use " + used);
        }
    }

    private static List<String> matches(Pattern pattern, String text) {
        List<String> found = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    /** The page's references are relative to {@code /}. */
    private static String path(String reference) {
        return reference.startsWith("/") ? reference : "/" + reference;
    }
}
