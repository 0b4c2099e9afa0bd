/**
 * The bad-input corpus: a table of malformed, hostile and mistaken requests for every surface
 * (native REST {@code /v1}, OIP REST {@code /v2}, the typed gRPC service and the OIP gRPC service),
 * each with the status or code and the message fragment it must get (see docs/ERRORS.md).
 */
package dev.sinewich.serve.api.corpus;
