/** Command-line benchmarks of the model runtime (plain {@code main} programs, not tests), run by {@code bench/forward.sh}. */
package dev.sinewich.serve.bench;
