/**
 * The ONNX Runtime engine, for CPUs: {@link dev.sinewich.serve.model.onnx.OnnxRuntimeForward} writes
 * the loaded network ({@link dev.sinewich.serve.model.swin}) at load as ONNX graphs, layer by layer
 * (backbone, block, linear, patch merging, decoder), and runs them per pass. Its parts: an ONNX
 * graph writer (the {@code ModelProto} subset, encoded by hand), the few layers a Swin network needs
 * written as standard operators, the network's sessions (a task-independent prefix, the task part
 * with the task's weights as inputs, and one output stage per output) with per-thread direct
 * buffers, and non-spinning thread pools. No HTTP or gRPC types.
 */
package dev.sinewich.serve.model.onnx;
