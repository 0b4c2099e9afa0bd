package dev.sinewich.serve.api.corpus;

import io.grpc.Status;

/**
 * What the server answered to one corpus request: an HTTP status and body, or a gRPC code and
 * description.
 *
 * @param httpStatus the HTTP status, or 0 for a gRPC answer
 * @param code the gRPC code, or {@code null} for an HTTP answer
 * @param contentType the HTTP Content-Type, or {@code null}
 * @param message the error message: the JSON {@code error} field, or the gRPC description
 * @param raw the whole body or description, for assertion messages and stack-trace checks
 */
record Answer(int httpStatus, Status.Code code, String contentType, String message, String raw) {

    @Override
    public String toString() {
        return (code != null ? code.toString() : Integer.toString(httpStatus)) + " " + raw;
    }
}
