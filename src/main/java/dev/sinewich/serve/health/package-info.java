/** Health checks for Kubernetes probes (SmallRye Health, {@code /q/health/*}). */
package dev.sinewich.serve.health;
