/**
 * Serving the model: its lifecycle (load at start-up, close at shutdown) and the bounded executor
 * that runs forward passes, refusing work when full. No HTTP or gRPC types: the API packages map
 * its exceptions to statuses.
 */
package dev.sinewich.serve.serving;
