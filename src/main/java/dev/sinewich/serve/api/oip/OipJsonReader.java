package dev.sinewich.serve.api.oip;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.sinewich.serve.model.InvalidInputException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Streams an Open Inference Protocol JSON request body into an {@link InferRequest}: tensor data is
 * read straight into primitive arrays (nested or flat, row-major), without building a JSON tree.
 * Every malformed part is reported with what was expected. Stateless and thread-safe.
 */
public final class OipJsonReader {

    private static final JsonFactory JSON = new JsonFactory();

    private OipJsonReader() {}

    /**
     * Parses a request body.
     *
     * @param body the UTF-8 JSON
     * @return the request
     * @throws InvalidInputException naming the first problem
     */
    public static InferRequest read(byte[] body) {
        if (body == null || body.length == 0) {
            throw new InvalidInputException("the request body is empty; expected an inference request JSON object");
        }
        try (JsonParser p = JSON.createParser(body)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, "the request body");
            String id = null;
            Map<String, Object> parameters = Map.of();
            List<InferRequest.Input> inputs = null;
            List<String> outputs = List.of();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "id":
                        expect(value, JsonToken.VALUE_STRING, "'id'");
                        id = p.getText();
                        break;
                    case "parameters":
                        parameters = parameters(p, "'parameters'");
                        break;
                    case "inputs":
                        inputs = inputs(p);
                        break;
                    case "outputs":
                        outputs = outputs(p);
                        break;
                    default:
                        throw new InvalidInputException("unknown request field '" + field
                                + "'; expected id, parameters, inputs, outputs");
                }
            }
            if (p.nextToken() != null) {
                throw new InvalidInputException("unexpected content after the request object");
            }
            if (inputs == null) {
                throw new InvalidInputException("the request has no 'inputs'");
            }
            return new InferRequest(id, parameters, inputs, outputs);
        } catch (JsonParseException e) {
            throw new InvalidInputException("the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidInputException("the request body cannot be read: " + e.getMessage());
        }
    }

    private static List<InferRequest.Input> inputs(JsonParser p) throws IOException {
        expect(p.currentToken(), JsonToken.START_ARRAY, "'inputs'");
        List<InferRequest.Input> inputs = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            inputs.add(input(p, "inputs[" + inputs.size() + "]"));
        }
        return inputs;
    }

    private static InferRequest.Input input(JsonParser p, String where) throws IOException {
        expect(p.currentToken(), JsonToken.START_OBJECT, where);
        String name = null;
        String datatype = null;
        long[] shape = null;
        FloatList data = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "name":
                    expect(value, JsonToken.VALUE_STRING, where + ".name");
                    name = p.getText();
                    break;
                case "datatype":
                    expect(value, JsonToken.VALUE_STRING, where + ".datatype");
                    datatype = p.getText();
                    break;
                case "shape":
                    shape = shape(p, where + ".shape");
                    break;
                case "parameters":
                    parameters(p, where + ".parameters");
                    break;
                case "data":
                    data = new FloatList();
                    readNumbers(p, data, where + ".data");
                    break;
                default:
                    throw new InvalidInputException("unknown field '" + field + "' in " + where
                            + "; expected name, datatype, shape, parameters, data");
            }
        }
        if (name == null || datatype == null || shape == null || data == null) {
            throw new InvalidInputException(where + " must have name, datatype, shape and data");
        }
        float[] values = data.toArray();
        if ("UINT8".equals(datatype)) {
            return new InferRequest.Input(name, datatype, shape, null, toBytes(values, where));
        }
        return new InferRequest.Input(name, datatype, shape, values, null);
    }

    private static byte[] toBytes(float[] values, String where) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (v < 0 || v > 255 || v != Math.rint(v)) {
                throw new InvalidInputException(where + ".data element " + i + " is " + v
                        + "; UINT8 values are integers from 0 to 255");
            }
            bytes[i] = (byte) (int) v;
        }
        return bytes;
    }

    private static long[] shape(JsonParser p, String where) throws IOException {
        expect(p.currentToken(), JsonToken.START_ARRAY, where);
        List<Long> dims = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                throw new InvalidInputException(where + " must be an array of integers");
            }
            dims.add(p.getLongValue());
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    private static void readNumbers(JsonParser p, FloatList out, String where) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_ARRAY) {
            while (p.nextToken() != JsonToken.END_ARRAY) {
                readNumbers(p, out, where);
            }
        } else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            out.add(p.getFloatValue());
        } else {
            throw new InvalidInputException(where + " must hold only numbers (nested arrays allowed); found "
                    + t.asString());
        }
    }

    private static Map<String, Object> parameters(JsonParser p, String where) throws IOException {
        expect(p.currentToken(), JsonToken.START_OBJECT, where);
        Map<String, Object> params = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            switch (v) {
                case VALUE_STRING:
                    params.put(key, p.getText());
                    break;
                case VALUE_NUMBER_INT:
                    params.put(key, p.getLongValue());
                    break;
                case VALUE_NUMBER_FLOAT:
                    params.put(key, p.getDoubleValue());
                    break;
                case VALUE_TRUE:
                case VALUE_FALSE:
                    params.put(key, p.getBooleanValue());
                    break;
                default:
                    throw new InvalidInputException(where + "." + key + " must be a string, number or boolean");
            }
        }
        return params;
    }

    private static List<String> outputs(JsonParser p) throws IOException {
        expect(p.currentToken(), JsonToken.START_ARRAY, "'outputs'");
        List<String> names = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String where = "outputs[" + names.size() + "]";
            expect(p.currentToken(), JsonToken.START_OBJECT, where);
            String name = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if ("name".equals(field)) {
                    expect(v, JsonToken.VALUE_STRING, where + ".name");
                    name = p.getText();
                } else if ("parameters".equals(field)) {
                    parameters(p, where + ".parameters");
                } else {
                    throw new InvalidInputException("unknown field '" + field + "' in " + where
                            + "; expected name, parameters");
                }
            }
            if (name == null) {
                throw new InvalidInputException(where + " has no name");
            }
            names.add(name);
        }
        return names;
    }

    private static void expect(JsonToken found, JsonToken expected, String what) {
        if (found != expected) {
            String kind = expected == JsonToken.START_OBJECT ? "an object"
                    : expected == JsonToken.START_ARRAY ? "an array" : "a string";
            throw new InvalidInputException(what + " must be " + kind + ", found "
                    + (found == null ? "nothing" : found.asString() == null ? found.name() : found.asString()));
        }
    }

    /** A growable float array. */
    private static final class FloatList {
        private float[] values = new float[1024];
        private int size;

        void add(float v) {
            if (size == values.length) {
                if (size >= Integer.MAX_VALUE / 2) {
                    throw new InvalidInputException("tensor data is too large");
                }
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        float[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
