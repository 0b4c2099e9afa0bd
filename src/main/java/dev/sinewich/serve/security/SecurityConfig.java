package dev.sinewich.serve.security;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Optional;

/** Access settings under {@code sinewich.security.}; keys are never logged. */
@ConfigMapping(prefix = "sinewich.security")
public interface SecurityConfig {

    /**
     * Returns the bearer keys that may call inference and model metadata; none means open.
     *
     * @return the API keys
     */
    Optional<List<String>> apiKeys();

    /**
     * Returns whether the admin endpoints exist at all.
     *
     * @return true to enable {@code /admin}
     */
    @WithDefault("false")
    boolean adminEnabled();

    /**
     * Returns the bearer keys that may call the admin endpoints (required when they are enabled).
     *
     * @return the admin keys
     */
    Optional<List<String>> adminKeys();
}
