/** Tests of health and readiness across the surfaces. */
package dev.sinewich.serve.health;
