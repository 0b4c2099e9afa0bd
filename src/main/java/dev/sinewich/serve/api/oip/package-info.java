/**
 * The Open Inference Protocol (KServe v2) independent of transport: the request model, the JSON
 * reader and writer, binary tensors, model metadata, and the mapping of an infer request to the
 * server's {@link dev.sinewich.serve.serving.PredictionRequest} (its {@code task} parameter and
 * {@code image} input, whose tensor rules the typed gRPC API shares).
 */
package dev.sinewich.serve.api.oip;
