/**
 * gRPC services, generated from {@code proto/} at build time: the Open Inference Protocol's
 * {@code inference.GRPCInferenceService} and the typed {@code sinewich.v1.SinewichService} (one
 * image through several tasks, and a stream of frames answered in order).
 */
package dev.sinewich.serve.api.grpc;
