package dev.sinewich.serve.launch;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * The server's entry point ({@code java -jar quarkus-run.jar [arguments]}): reads the command line
 * (see {@link LaunchArguments}), sets what it names as system properties, and runs the server.
 */
@QuarkusMain
public final class Main {

    private static volatile LaunchArguments arguments = LaunchArguments.NONE;

    /** Quarkus instantiates the entry point as a bean; nothing else needs to. */
    Main() {
    }

    /**
     * Starts the server.
     *
     * @param args the command line
     */
    public static void main(String... args) {
        LaunchArguments parsed;
        try {
            parsed = LaunchArguments.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("sinewich-serve: " + e.getMessage());
            System.exit(2);
            return;
        }
        parsed.properties().forEach(System::setProperty);
        arguments = parsed;
        Quarkus.run(args);
    }

    /**
     * Returns what the command line of this process set and left unused.
     *
     * @return the arguments; {@link LaunchArguments#NONE} when the server was not started by {@link #main}
     */
    static LaunchArguments arguments() {
        return arguments;
    }
}
