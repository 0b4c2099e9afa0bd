package dev.sinewich.serve.api;

import dev.sinewich.serve.security.ApiKeys;
import dev.sinewich.serve.serving.ModelService;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;

/** Facts about this server build. */
public final class ServerVersion {

    private ServerVersion() {}

    /**
     * Returns the application version from {@code quarkus.application.version}.
     *
     * @return the version
     */
    public static String get() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.application.version", String.class)
                .orElse("unknown");
    }

    /**
     * Returns the protocol extensions the server metadata lists: {@code binary_tensor_data}, and
     * {@code model_repository} while the repository API is available (the admin API on and a
     * repository configured).
     *
     * @param keys the key checker (whether the admin API is on)
     * @param models the served model (whether a repository is configured)
     * @return the extensions
     */
    public static List<String> extensions(ApiKeys keys, ModelService models) {
        return keys.adminEnabled() && models.repositoryEnabled() ? List.of("binary_tensor_data", "model_repository")
                : List.of("binary_tensor_data");
    }
}
