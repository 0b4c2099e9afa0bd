/** Helpers shared by tests of several features. */
package dev.sinewich.serve.testing;
