package dev.sinewich.serve.launch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The server's command-line arguments, read the way KServe's model servers read theirs:
 * {@code --name=value} or {@code --name value}, with {@code _} or {@code -} between words. The ones
 * the server uses become configuration properties (a command-line argument outranks the
 * environment); every other argument is kept, unused and by name only (never its value), for
 * one log line. Immutable.
 *
 * @param properties the configuration properties the arguments set
 * @param ignored the names of the arguments the server does not use
 */
public record LaunchArguments(Map<String, String> properties, List<String> ignored) {

    /** The arguments the server uses, by name (words joined with {@code _}), and the property each sets. */
    static final Map<String, String> USED = Map.of(
            "model_name", "sinewich.model.name",
            "model_dir", "sinewich.model.path",
            "http_port", "quarkus.http.port",
            "grpc_port", "quarkus.grpc.server.port");

    /** The empty set: no arguments. */
    public static final LaunchArguments NONE = new LaunchArguments(Map.of(), List.of());

    /**
     * Creates the arguments.
     *
     * @param properties the properties they set
     * @param ignored the unused arguments
     */
    public LaunchArguments {
        properties = Map.copyOf(properties);
        ignored = List.copyOf(ignored);
    }

    /**
     * Reads the command line.
     *
     * @param args the arguments
     * @return what they set and what they leave unused
     * @throws IllegalArgumentException when an argument the server uses has no value or an empty one
     */
    public static LaunchArguments parse(String... args) {
        Map<String, String> properties = new LinkedHashMap<>();
        List<String> ignored = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || arg.length() == 2) {
                ignored.add(arg.equals("--") ? arg : "(a positional argument)");
                continue;
            }
            int eq = arg.indexOf('=');
            String name = (eq < 0 ? arg.substring(2) : arg.substring(2, eq)).replace('-', '_');
            String value = eq < 0 ? null : arg.substring(eq + 1);
            boolean valueFollows = eq < 0 && i + 1 < args.length && !args[i + 1].startsWith("--");
            String property = USED.get(name);
            if (property == null) {
                // named, never with its value: an argument meant for another server may hold a secret
                ignored.add(eq < 0 ? arg : arg.substring(0, eq));
                if (valueFollows) {
                    i++;
                }
                continue;
            }
            if (valueFollows) {
                value = args[++i];
            }
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("--" + name + " needs a value, e.g. --" + name + "="
                        + example(name));
            }
            properties.put(property, value);
        }
        return new LaunchArguments(properties, ignored);
    }

    private static String example(String name) {
        return switch (name) {
            case "model_name" -> "my-model";
            case "model_dir" -> "/mnt/models";
            case "http_port" -> "8080";
            default -> "9000";
        };
    }
}
