package dev.sinewich.serve.security;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Checks bearer keys. Only SHA-256 digests of the configured keys are kept, and a presented key is
 * compared with every one of them in constant time, so neither timing nor a heap dump gives a key
 * away. Thread-safe.
 */
@ApplicationScoped
public class ApiKeys {

    /** What a caller wants to do. */
    public enum Role {
        /** Inference and model metadata. */
        INFERENCE,
        /** Loading models and changing tasks. */
        ADMIN
    }

    private final List<byte[]> inference;
    private final List<byte[]> admin;
    private final boolean adminEnabled;

    /**
     * Creates the checker.
     *
     * @param config the access settings
     */
    public ApiKeys(SecurityConfig config) {
        this.admin = digests(config.adminKeys().orElse(List.of()));
        this.inference = digests(config.apiKeys().orElse(List.of()));
        this.adminEnabled = config.adminEnabled();
    }

    void check(@Observes StartupEvent event) {
        if (adminEnabled && admin.isEmpty()) {
            throw new IllegalStateException("sinewich.security.admin-enabled is true but no "
                    + "sinewich.security.admin-keys are set: the admin endpoints need a key");
        }
    }

    /**
     * Tells whether the admin endpoints are enabled.
     *
     * @return true when enabled (and keys are set)
     */
    public boolean adminEnabled() {
        return adminEnabled && !admin.isEmpty();
    }

    /**
     * Tells whether a role needs a key at all.
     *
     * @param role the role
     * @return true when a key is required
     */
    public boolean required(Role role) {
        return role == Role.ADMIN || !inference.isEmpty();
    }

    /**
     * Checks an {@code Authorization} header value.
     *
     * @param authorization the header, e.g. {@code Bearer abc}; may be null
     * @param role what the caller wants to do
     * @return true when allowed (admin keys also allow inference)
     */
    public boolean allows(String authorization, Role role) {
        if (!required(role)) {
            return true;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = sha256(authorization.substring(7).trim());
        boolean match = matchesAny(presented, admin);
        if (role == Role.INFERENCE) {
            match |= matchesAny(presented, inference);
        }
        return match;
    }

    private static boolean matchesAny(byte[] presented, List<byte[]> keys) {
        boolean match = false;
        for (byte[] key : keys) {
            match |= MessageDigest.isEqual(presented, key); // no early exit: time does not depend on which
        }
        return match;
    }

    private static List<byte[]> digests(List<String> keys) {
        return keys.stream().map(String::trim).filter(k -> !k.isEmpty()).map(ApiKeys::sha256).toList();
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
