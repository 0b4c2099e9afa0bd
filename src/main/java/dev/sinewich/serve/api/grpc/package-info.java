/**
 * gRPC services: the Open Inference Protocol's {@code inference.GRPCInferenceService}, generated
 * from {@code proto/} at build time.
 */
package dev.sinewich.serve.api.grpc;
