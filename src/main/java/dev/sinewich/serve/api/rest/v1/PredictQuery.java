package dev.sinewich.serve.api.rest.v1;

import java.util.List;
import org.jboss.resteasy.reactive.RestQuery;

/**
 * The query parameters of {@code predict}, as sent; {@link PredictOptions} checks and resolves
 * them. One instance per request, filled by Quarkus REST.
 */
public class PredictQuery {

    /** Task names, repeatable; each may also be a comma-separated list, or {@code all}. */
    @RestQuery
    public List<String> task;

    /** Same as {@link #task}, for {@code tasks=a,b}. */
    @RestQuery
    public List<String> tasks;

    /** {@code json}, {@code png}, {@code png16} or {@code npy}; absent: chosen by {@code Accept}. */
    @RestQuery
    public String format;

    /** Extra parts of a JSON answer: {@code data} adds the flat output data. */
    @RestQuery
    public List<String> include;

    /** The request's deadline in milliseconds; absent: the server's default. */
    @RestQuery("timeout_ms")
    public String timeoutMs;
}
