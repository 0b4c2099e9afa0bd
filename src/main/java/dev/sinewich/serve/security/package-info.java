/**
 * Access control: optional bearer API keys for inference, mandatory keys for the admin endpoints,
 * checked in constant time over REST and gRPC.
 */
package dev.sinewich.serve.security;
