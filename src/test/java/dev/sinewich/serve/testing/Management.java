package dev.sinewich.serve.testing;

import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The management interface of the server under test (health probes, metrics, OpenAPI and Swagger
 * UI live on their own port, {@code quarkus.management.test-port} in tests).
 */
public final class Management {

    private Management() {}

    /**
     * Returns the management port of the server under test.
     *
     * @return the port
     */
    public static int port() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.management.test-port", Integer.class).orElse(9002);
    }

    /**
     * Starts a REST Assured request to the management interface.
     *
     * @return the request
     */
    public static RequestSpecification given() {
        return RestAssured.given().port(port());
    }

    /**
     * Returns a management URL.
     *
     * @param path the path, starting with {@code /}
     * @return the URL
     */
    public static String url(String path) {
        return "http://localhost:" + port() + path;
    }
}
