/**
 * Serving the model: its lifecycle (load at start-up, close at shutdown), the one way in for every
 * API ({@link dev.sinewich.serve.serving.Predictor}: a request is checked against the model and its
 * tasks once, its images read within the limits and memory budget, then queued), and the batching
 * scheduler that runs forward passes, refusing work when full. No HTTP or gRPC types: the API
 * packages map their wire formats to {@link dev.sinewich.serve.serving.PredictionRequest} and its
 * exceptions to statuses.
 */
package dev.sinewich.serve.serving;
