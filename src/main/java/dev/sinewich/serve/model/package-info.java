/**
 * The Free Sinewich forward pass (SPEC §4) on DJL NDArrays with the PyTorch engine: the frozen
 * Swin backbone with shared LoRA merged, resident fused Sine-AWB kernels and per-task weights
 * sin(ω_t · M), the decoder and per-kind outputs. Inputs and outputs are plain Java arrays; every
 * NDArray belongs either to the model's resident manager or to a per-call manager. No HTTP or
 * gRPC types.
 */
package dev.sinewich.serve.model;
