/**
 * The PyTorch engine (DJL + libtorch), on a CPU or a GPU: {@link
 * dev.sinewich.serve.model.torch.TorchForward} runs the loaded network ({@link
 * dev.sinewich.serve.model.swin}) op by op on each pass's NDArrays, layer by layer (backbone, block,
 * linear with per-segment task weights, patch merging, decoder and heads), and makes the outputs of
 * SPEC §4.8 from the logits, with the few libtorch operations DJL does not expose. No HTTP or gRPC
 * types.
 */
package dev.sinewich.serve.model.torch;
