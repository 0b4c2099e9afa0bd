package dev.sinewich.serve.security;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Guards the REST surface: {@code /admin} and the model repository API ({@code /v2/repository})
 * need an admin key (and are absent unless the admin API is enabled);
 * inference and model metadata ({@code /v1}, {@code /v2/models}) need an API key when keys are
 * configured; health, metrics, server metadata and the OpenAPI document stay open.
 */
public class ApiKeyFilter {

    private final ApiKeys keys;

    /**
     * Creates the filter.
     *
     * @param keys the key checker
     */
    public ApiKeyFilter(ApiKeys keys) {
        this.keys = keys;
    }

    /**
     * Checks a request before it reaches a resource.
     *
     * @param request the request
     * @return null to let it through, else the refusal
     */
    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        // runs of slashes count as one, so that no spelling of a guarded path passes unchecked
        String path = ("/" + request.getUriInfo().getPath()).replaceAll("/{2,}", "/");
        String auth = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        boolean repository = path.startsWith("/v2/repository");
        if (path.startsWith("/admin") || repository) {
            if (!keys.adminEnabled()) {
                return refuse(404, (repository ? "the model repository API is" : "the admin endpoints are")
                        + " disabled (sinewich.security.admin-enabled)");
            }
            return keys.allows(auth, ApiKeys.Role.ADMIN) ? null
                    : refuse(401, "an admin key is required: send Authorization: Bearer <admin key>");
        }
        if (path.startsWith("/v1/") || path.startsWith("/v2/models")) {
            return keys.allows(auth, ApiKeys.Role.INFERENCE) ? null
                    : refuse(401, "an API key is required: send Authorization: Bearer <key>");
        }
        return null;
    }

    private static Response refuse(int status, String message) {
        Response.ResponseBuilder r = Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Map.of("error", message));
        if (status == 401) {
            r.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        }
        return r.build();
    }
}
