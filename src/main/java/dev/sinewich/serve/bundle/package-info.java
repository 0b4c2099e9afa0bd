/**
 * Reading Sinewich model bundles (SPEC §1–3): the strictly validated {@code sinewich.json}
 * configuration, memory-mapped safetensors, and the catalogue of tensors a configuration requires.
 * Knows nothing of NDArrays or serving.
 */
package dev.sinewich.serve.bundle;
