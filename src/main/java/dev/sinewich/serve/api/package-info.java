/**
 * What every protocol shares: how failures are reported ({@link dev.sinewich.serve.api.Failure}).
 * The sub-packages hold the Open Inference Protocol core, the REST resources and the gRPC services.
 */
package dev.sinewich.serve.api;
