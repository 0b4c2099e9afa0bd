/** Command-line benchmarks of the model runtime (plain {@code main} programs, not tests), run by the scripts in {@code bench/}. */
package dev.sinewich.serve.bench;
