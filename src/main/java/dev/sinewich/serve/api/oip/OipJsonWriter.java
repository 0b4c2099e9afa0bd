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
     * A serialised response: the JSON, followed by binary output data when any output was asked
     * for as binary.
     *
     * @param body the bytes to send
     * @param jsonLength the JSON header's length when binary data follows it, else −1
     */
    public record Encoded(byte[] body, int jsonLength) {

        /**
         * Tells whether binary data follows the JSON.
         *
         * @return true when the body is JSON plus binary data
         */
        public boolean binary() {
            return jsonLength >= 0;
        }
    }

    /**
     * Serialises a response, with the binary tensor data extension for the outputs the request asks
     * for as binary.
     *
     * @param modelName the model name
     * @param modelVersion the model version
     * @param request the request
     * @param task the task that ran
     * @param outputs the outputs
     * @return the body
     */
    public static Encoded response(String modelName, String modelVersion, OipRequest request, String task,
            List<OutputTensor> outputs) {
        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        byte[] json = json(modelName, modelVersion, request, task, outputs, binary);
        if (binary.size() == 0) {
            return new Encoded(json, -1);
        }
        byte[] body = new byte[json.length + binary.size()];
        System.arraycopy(json, 0, body, 0, json.length);
        System.arraycopy(binary.toByteArray(), 0, body, json.length, binary.size());
        return new Encoded(body, json.length);
    }

    private static byte[] json(String modelName, String modelVersion, OipRequest request, String task,
            List<OutputTensor> outputs, ByteArrayOutputStream binary) {
        String id = request.id();
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
                if (request.binary(t.name())) {
                    byte[] data = BinaryTensors.output(t.floats(), t.ints());
                    binary.write(data, 0, data.length);
                    g.writeObjectFieldStart("parameters");
                    g.writeNumberField("binary_data_size", data.length);
                    g.writeEndObject();
                    g.writeEndObject();
                    continue;
                }
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
