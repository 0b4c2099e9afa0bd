package dev.sinewich.serve.bundle;

import java.util.Locale;

/** A linear layer of a Swin block that adapters can target, with its torchvision path. */
public enum LinearTarget {
    /** The attention's joint query-key-value projection. */
    QKV("attn.qkv"),
    /** The attention's output projection. */
    PROJ("attn.proj"),
    /** The first MLP linear. */
    FC1("mlp.0"),
    /** The second MLP linear. */
    FC2("mlp.3");

    private final String path;

    LinearTarget(String path) {
        this.path = path;
    }

    /**
     * Returns the module path inside a torchvision Swin block, e.g. {@code attn.qkv}.
     *
     * @return the path
     */
    public String path() {
        return path;
    }

    /**
     * Returns the name used in {@code sinewich.json} targets.
     *
     * @return the lower-case target name
     */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Looks a target up by its JSON name.
     *
     * @param name the name as written in {@code sinewich.json}
     * @return the target, or {@code null} when unknown
     */
    public static LinearTarget fromJson(String name) {
        for (LinearTarget target : values()) {
            if (target.jsonName().equals(name)) {
                return target;
            }
        }
        return null;
    }
}
