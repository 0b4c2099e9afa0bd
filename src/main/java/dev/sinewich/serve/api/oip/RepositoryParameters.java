package dev.sinewich.serve.api.oip;

import dev.sinewich.serve.model.InvalidInputException;

/**
 * The parameters the model repository extension's load and unload calls accept, over REST and
 * gRPC alike: none on load; on unload Triton's {@code unload_dependents} (true or false), which its
 * clients always send and which changes nothing here, since a model has no dependents.
 */
public final class RepositoryParameters {

    /** Triton's unload parameter. */
    public static final String UNLOAD_DEPENDENTS = "unload_dependents";

    private RepositoryParameters() {
    }

    /**
     * Checks one parameter of a load or unload call.
     *
     * @param name the parameter's name
     * @param bool whether its value is a boolean
     * @param unload whether the call is an unload
     * @throws InvalidInputException naming the parameter and what is accepted, when it is not accepted
     */
    public static void check(String name, boolean bool, boolean unload) {
        if (unload && UNLOAD_DEPENDENTS.equals(name) && bool) {
            return;
        }
        throw new InvalidInputException("unsupported " + (unload ? "unload" : "load") + " parameter '" + name + "'; "
                + (unload ? "only \"" + UNLOAD_DEPENDENTS + "\" (true or false) is accepted" : "none are accepted"));
    }
}
