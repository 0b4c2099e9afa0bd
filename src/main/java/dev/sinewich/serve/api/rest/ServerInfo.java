package dev.sinewich.serve.api.rest;

import org.eclipse.microprofile.config.ConfigProvider;

/** Facts about this server build. */
final class ServerInfo {

    private ServerInfo() {}

    /**
     * Returns the application version from {@code quarkus.application.version}.
     *
     * @return the version
     */
    static String version() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.application.version", String.class)
                .orElse("unknown");
    }
}
