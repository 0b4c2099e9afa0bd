package dev.sinewich.serve.bench.load;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** The request surfaces the generator drives, named as the server's {@code api} metric label. */
public enum Api {
    /** {@code POST /v1/models/{model}/predict} with a PNG body, JSON summaries back. */
    REST_NATIVE("rest_native"),
    /** {@code POST /v2/models/{model}/infer} with the binary tensor extension (UINT8 image). */
    REST_OIP("rest_oip"),
    /** {@code sinewich.v1.SinewichService/Predict} with the encoded PNG. */
    GRPC_NATIVE("grpc_native");

    private final String label;

    Api(String label) {
        this.label = label;
    }

    /**
     * Returns the label used in reports.
     *
     * @return the label
     */
    public String label() {
        return label;
    }

    /**
     * Tells whether this surface is gRPC.
     *
     * @return true for gRPC
     */
    public boolean grpc() {
        return this == GRPC_NATIVE;
    }

    /**
     * Parses a comma-separated list of labels.
     *
     * @param labels e.g. {@code rest_native,grpc_native}
     * @return the surfaces
     */
    public static List<Api> parse(String labels) {
        return Arrays.stream(labels.split(",")).map(String::trim).map(l -> Arrays.stream(values())
                .filter(a -> a.label.equals(l)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown api '" + l + "'; use " + all())))
                .toList();
    }

    private static String all() {
        return Arrays.stream(values()).map(Api::label).collect(Collectors.joining(","));
    }
}
