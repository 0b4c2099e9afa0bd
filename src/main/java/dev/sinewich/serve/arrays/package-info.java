/**
 * Plain numeric arrays in and out of files: the NumPy {@code .npy} format (version 1.0,
 * little-endian, C order) that the native REST API answers with and that evaluation data sets use
 * for depth and normals. No HTTP, gRPC or Quarkus types; stateless and thread-safe.
 */
package dev.sinewich.serve.arrays;
