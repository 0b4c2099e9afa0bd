/**
 * The loaded Free Sinewich model (SPEC §4), engine-neutral: {@link
 * dev.sinewich.serve.model.SinewichModel} and what every engine shares — configuration and engine
 * choice, the tasks served (frequencies ω_t via the Clock Net, heads, run-time adds and removals),
 * the task-kernel policies that provide per-task weights W + gain · lowpass(sin(ω_t · M)), input
 * resizing, the batch layout of mixed requests, which outputs each request gets, and resident-memory
 * accounting. A pass runs on one engine behind {@link dev.sinewich.serve.model.ForwardEngine}: the
 * PyTorch engine ({@link dev.sinewich.serve.model.torch}) or ONNX Runtime ({@link
 * dev.sinewich.serve.model.onnx}), both over the network as loaded ({@link
 * dev.sinewich.serve.model.swin}); the scheduler and the APIs never see which. Inputs and outputs
 * are plain Java arrays; every NDArray belongs either to the model's resident manager or to a
 * per-call manager. No HTTP or gRPC types.
 */
package dev.sinewich.serve.model;
