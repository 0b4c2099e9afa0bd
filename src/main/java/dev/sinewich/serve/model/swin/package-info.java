/**
 * The Swin network as loaded from a bundle, engine-neutral: the frozen backbone (patch embedding,
 * blocks with their window plans, patch mergings) with the shared LoRA merged and the resident fused
 * Sine-AWB kernels of the adapted linears, and the shared decoder. The layers hold weights on the
 * model's resident DJL manager, count their bytes and can free what an engine has copied; they run
 * nothing: each engine ({@link dev.sinewich.serve.model.torch}, {@link dev.sinewich.serve.model.onnx})
 * reads them through their accessors. No HTTP or gRPC types.
 */
package dev.sinewich.serve.model.swin;
