/**
 * The loaded Free Sinewich model (SPEC §4) and its two engines: the frozen Swin backbone with
 * shared LoRA merged, resident fused Sine-AWB kernels and per-task weights sin(ω_t · M), the
 * decoder and per-kind outputs, run op by op on DJL NDArrays (the PyTorch engine) or written at load
 * as ONNX graphs for ONNX Runtime ({@link dev.sinewich.serve.model.onnx}); tasks, kernel policies
 * and batch layout are shared by both. Inputs and outputs are plain Java arrays; every
 * NDArray belongs either to the model's resident manager or to a per-call manager. No HTTP or
 * gRPC types.
 */
package dev.sinewich.serve.model;
