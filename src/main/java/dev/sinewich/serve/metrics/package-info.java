/**
 * Prometheus metrics: every meter of the server is declared in
 * {@link dev.sinewich.serve.metrics.ServerMetrics}.
 */
package dev.sinewich.serve.metrics;
