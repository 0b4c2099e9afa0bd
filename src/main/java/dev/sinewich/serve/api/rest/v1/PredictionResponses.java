package dev.sinewich.serve.api.rest.v1;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sinewich.serve.arrays.Npy;
import dev.sinewich.serve.bundle.SinewichConfig;
import dev.sinewich.serve.imaging.LegendEntry;
import dev.sinewich.serve.imaging.SegmentationPalette;
import dev.sinewich.serve.imaging.Visualizer;
import dev.sinewich.serve.model.OutputTensor;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes a finished {@code predict} call in the format it asked for. Binary answers carry the
 * request's latency in {@code X-Sinewich-Queue-Seconds} and {@code X-Sinewich-Compute-Seconds};
 * segmentation pictures carry their legend in {@code X-Sinewich-Legend}, depth pictures their
 * colour range in {@code X-Sinewich-Depth-Range}. Stateless and thread-safe.
 */
final class PredictionResponses {

    /** The legend of a segmentation picture: compact JSON, non-ASCII escaped. */
    static final String LEGEND = "X-Sinewich-Legend";

    /** The depths drawn yellow (near) and dark purple (far) in a depth picture, with their unit. */
    static final String DEPTH_RANGE = "X-Sinewich-Depth-Range";

    private static final JsonMapper HEADER_JSON = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .build();

    private PredictionResponses() {}

    /**
     * Builds the response.
     *
     * @param p the finished prediction
     * @return the HTTP response
     */
    static Response of(Prediction p) {
        OutputFormat format = p.options().format();
        if (format == OutputFormat.JSON) {
            return Response.ok(PredictionJson.of(p), format.mediaType()).header(HttpHeaders.VARY, "Accept").build();
        }
        SinewichConfig.Task task = p.tasks().get(0);
        OutputTensor out = p.first(task);
        Response.ResponseBuilder r;
        String extension = "png";
        switch (format) {
            case PNG16:
                r = Response.ok(Visualizer.depthMillimetres(out, 0, Visualizer.millimetresPerUnit(task.unit())));
                break;
            case NPY:
                r = Response.ok(Npy.write(out.shape(), out.floats(), out.ints()));
                extension = "npy";
                break;
            default:
                r = picture(task, out);
                break;
        }
        return r.type(format.mediaType()).header(HttpHeaders.VARY, "Accept")
                .header(HttpHeaders.CONTENT_DISPOSITION, "inline; filename=\"" + task.name() + "." + extension + "\"")
                .header("X-Sinewich-Queue-Seconds", p.result().queueSeconds())
                .header("X-Sinewich-Compute-Seconds", p.result().computeSeconds())
                .build();
    }

    private static Response.ResponseBuilder picture(SinewichConfig.Task task, OutputTensor out) {
        switch (task.kind()) {
            case SEGMENTATION:
                return Response.ok(Visualizer.segmentation(out, 0)).header(LEGEND, legend(task.labels()));
            case DEPTH:
                return Response.ok(Visualizer.depth(out, 0)).header(DEPTH_RANGE, depthRange(out, task.unit()));
            case NORMALS:
                return Response.ok(Visualizer.normals(out, 0));
            default:
                return Response.ok(Visualizer.grey(out, 0));
        }
    }

    private static String legend(List<String> names) {
        List<Map<String, Object>> entries = SegmentationPalette.legend(names).stream().map(PredictionResponses::entry)
                .toList();
        return json(entries);
    }

    private static Map<String, Object> entry(LegendEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", e.index());
        m.put("name", e.name());
        m.put("color", e.rgbHex());
        return m;
    }

    /** The finite range {@link Visualizer#depth(OutputTensor, int)} spreads the colour map over. */
    private static String depthRange(OutputTensor depth, String unit) {
        float near = Float.POSITIVE_INFINITY;
        float far = Float.NEGATIVE_INFINITY;
        for (float d : depth.floats()) {
            if (Float.isFinite(d)) {
                near = Math.min(near, d);
                far = Math.max(far, d);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("near", Float.isFinite(near) ? near : null);
        m.put("far", Float.isFinite(far) ? far : null);
        m.put("unit", unit);
        return json(m);
    }

    private static String json(Object value) {
        try {
            return HEADER_JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a header as JSON", e);
        }
    }
}
