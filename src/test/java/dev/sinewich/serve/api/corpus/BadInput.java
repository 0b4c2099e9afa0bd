package dev.sinewich.serve.api.corpus;

import io.grpc.Status;

/**
 * One row of the corpus: a request and the answer it must get.
 *
 * @param surface where the request goes
 * @param name what is wrong with it, as the test's display name
 * @param request sends the request and returns the answer
 * @param httpStatus the expected HTTP status (REST surfaces)
 * @param code the expected gRPC code (gRPC surfaces)
 * @param fragment text the message must contain: it names what was wrong
 */
record BadInput(Surface surface, String name, Request request, int httpStatus, Status.Code code, String fragment) {

    /** Sends a request with the test's clients. */
    @FunctionalInterface
    interface Request {
        /**
         * Sends the request.
         *
         * @param clients the HTTP and gRPC clients
         * @return the answer
         * @throws Exception when the request cannot be sent at all
         */
        Answer send(Clients clients) throws Exception;
    }

    static BadInput rest(Surface surface, String name, int status, String fragment, Request request) {
        return new BadInput(surface, name, request, status, null, fragment);
    }

    static BadInput grpc(Surface surface, String name, Status.Code code, String fragment, Request request) {
        return new BadInput(surface, name, request, 0, code, fragment);
    }

    String displayName() {
        return surface + ": " + name;
    }
}
