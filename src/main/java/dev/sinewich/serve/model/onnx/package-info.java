/**
 * The ONNX Runtime engine's parts, free of the model's own types: an ONNX graph writer (the
 * {@code ModelProto} subset, encoded by hand), the few layers a Swin network needs written as
 * standard operators, the network's sessions (a task-independent prefix, the task part with the
 * task's weights as inputs, and one output stage per output) with per-thread direct buffers, and
 * non-spinning thread pools. No HTTP or gRPC types.
 */
package dev.sinewich.serve.model.onnx;
