package dev.sinewich.serve.api;

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
     * Returns the protocol extensions the server metadata lists.
     *
     * @param repository whether the model repository API is available (admin API on and a
     *     repository configured)
     * @return {@code binary_tensor_data}, and {@code model_repository} with the repository API
     */
    public static List<String> extensions(boolean repository) {
        return repository ? List.of("binary_tensor_data", "model_repository") : List.of("binary_tensor_data");
    }
}
