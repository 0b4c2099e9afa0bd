package dev.sinewich.serve.serving;

import java.util.Collection;
import java.util.List;

/**
 * The API's side of one request being handled: its share of the memory budget, and where the
 * {@link Predictor} says which tasks the request named, as soon as it knows, so that the API's
 * metrics label even a request that fails later by its tasks.
 */
public interface RequestHandle {

    /**
     * Returns the request's memory lease, open until its answer is sent.
     *
     * @return the lease
     */
    TensorBudget.Lease lease();

    /**
     * Records the tasks the request names.
     *
     * @param named the task names, as sent
     * @param served the tasks the model serves
     */
    void tasks(List<String> named, Collection<String> served);
}
