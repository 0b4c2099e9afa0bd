package dev.sinewich.serve.api;

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
}
