package dev.sinewich.serve.api.rest;

import dev.sinewich.serve.model.InvalidInputException;

/**
 * Recognises the failures of the REST layer's multipart parser, which reads a
 * {@code multipart/form-data} body before any endpoint code runs: a body cut off before its closing
 * boundary, or one with more parts than the parser accepts. Both are the client's mistake and become
 * a 400 that says so. Stateless.
 */
final class MultipartErrors {

    private static final String PARSER_PACKAGE = "org.jboss.resteasy.reactive.server.core.multipart.";

    private MultipartErrors() {}

    /**
     * Turns a multipart parser failure into the caller's error; leaves every other failure as it is.
     *
     * @param failure what went wrong
     * @return an {@link InvalidInputException} for a malformed multipart body, else the failure
     */
    static Throwable asClientError(Throwable failure) {
        StackTraceElement[] trace = failure.getStackTrace();
        if (trace.length == 0 || !trace[0].getClassName().startsWith(PARSER_PACKAGE)) {
            return failure;
        }
        String detail = failure.getMessage() == null ? "" : " (" + failure.getMessage() + ")";
        if (detail.contains("limit")) {
            return new InvalidInputException("the multipart/form-data body has too many parts" + detail
                    + "; send one file part named 'image'");
        }
        return new InvalidInputException("the multipart/form-data body is cut off or malformed" + detail
                + "; send one file part named 'image' and the closing boundary");
    }
}
