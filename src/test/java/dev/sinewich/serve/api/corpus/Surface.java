package dev.sinewich.serve.api.corpus;

/** The four ways a request reaches the server. */
enum Surface {
    /** Native REST, {@code /v1}. */
    REST_V1,
    /** Open Inference Protocol REST, {@code /v2}. */
    REST_V2,
    /** Typed gRPC, {@code sinewich.v1.SinewichService}. */
    GRPC_V1,
    /** Open Inference Protocol gRPC, {@code inference.GRPCInferenceService}. */
    GRPC_OIP;

    boolean grpc() {
        return this == GRPC_V1 || this == GRPC_OIP;
    }
}
