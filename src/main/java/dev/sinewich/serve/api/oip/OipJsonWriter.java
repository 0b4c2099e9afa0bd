package dev.sinewich.serve.api.oip;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.sinewich.serve.model.OutputTensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Writes an Open Inference Protocol JSON inference response with flat row-major {@code data}.
 * Stateless and thread-safe.
 */
public final class OipJsonWriter {

    private static final JsonFactory JSON = new JsonFactory();

    private OipJsonWriter() {}

    /**
     * Serialises a response.
     *
     * @param modelName the model name
     * @param modelVersion the model version
     * @param id the request id, or {@code null}
     * @param task the task that ran
     * @param outputs the outputs
     * @return the UTF-8 JSON
     */
    public static byte[] response(String modelName, String modelVersion, String id, String task,
            List<OutputTensor> outputs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("model_name", modelName);
            g.writeStringField("model_version", modelVersion);
            if (id != null) {
                g.writeStringField("id", id);
            }
            g.writeObjectFieldStart("parameters");
            g.writeStringField("task", task);
            g.writeEndObject();
            g.writeArrayFieldStart("outputs");
            for (OutputTensor t : outputs) {
                g.writeStartObject();
                g.writeStringField("name", t.name());
                g.writeStringField("datatype", t.datatype());
                g.writeArrayFieldStart("shape");
                for (long d : t.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data");
                if (t.floats() != null) {
                    for (float v : t.floats()) {
                        g.writeNumber(v);
                    }
                } else {
                    for (int v : t.ints()) {
                        g.writeNumber(v);
                    }
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
