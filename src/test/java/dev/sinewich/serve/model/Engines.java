package dev.sinewich.serve.model;

import java.util.List;
import java.util.stream.Stream;

/** The engines every model test runs on, for parameterised tests. */
public final class Engines {

    /** Every engine's name. */
    public static final List<String> NAMES = List.of("onnxruntime", "pytorch");

    private Engines() {}

    /**
     * Returns every engine's name.
     *
     * @return the names
     */
    public static Stream<String> names() {
        return NAMES.stream();
    }

    /**
     * Returns an engine's settings with default threads.
     *
     * @param name the engine
     * @return the settings
     */
    public static EngineSettings of(String name) {
        return new EngineSettings(name, 0);
    }
}
