/**
 * The Open Inference Protocol (KServe v2) independent of transport: the request model, the JSON
 * reader and writer, model metadata, and the infer call that validates the {@code task} parameter
 * and the {@code image} input before scheduling.
 */
package dev.sinewich.serve.api.oip;
