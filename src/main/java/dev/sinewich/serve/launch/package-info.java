/**
 * Starting the server from a command line: the arguments KServe's serving runtimes pass
 * ({@code --model_name}, {@code --model_dir}, {@code --http_port}, {@code --grpc_port}) become
 * the server's settings; anything else is accepted and logged once.
 */
package dev.sinewich.serve.launch;
