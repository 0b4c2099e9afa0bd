/** Tests of the demo page served at {@code /}: its assets, that it stays public, and that it is self-contained. */
package dev.sinewich.serve.demo;
