package dev.sinewich.serve.api.oip;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.sinewich.serve.model.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Streams an Open Inference Protocol JSON request body into an {@link OipRequest}: tensor data is
 * read straight into primitive arrays (nested or flat, row-major), without building a JSON tree.
 * Every malformed part is reported with what was expected. Stateless and thread-safe.
 */
public final class OipJsonReader {

    private static final JsonFactory JSON = new JsonFactory();

    private OipJsonReader() {}

    /**
     * Parses a request body, with the binary tensor data extension when a JSON header length is
     * given: the first {@code headerLength} bytes are the JSON, and the inputs that declare
     * {@code binary_data_size} take their data, in order, from the bytes after it (FP32
     * little-endian, UINT8 as is, BYTES as 4-byte little-endian length + bytes per element).
     *
     * @param body the body
     * @param headerLength the {@code Inference-Header-Content-Length}, or −1 for a JSON-only body
     * @return the request
     * @throws InvalidInputException naming the first problem
     */
    public static OipRequest read(byte[] body, int headerLength) {
        if (body == null || body.length == 0) {
            throw new InvalidInputException("the request body is empty; expected an inference request JSON object");
        }
        if (headerLength > body.length || headerLength == 0 || headerLength < -1) {
            throw new InvalidInputException("Inference-Header-Content-Length is " + headerLength + " but the body has "
                    + body.length + " bytes");
        }
        int jsonLength = headerLength < 0 ? body.length : headerLength;
        Binary binary = new Binary(body, jsonLength);
        try (JsonParser p = JSON.createParser(body, 0, jsonLength)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, "the request body");
            String id = null;
            Map<String, Object> parameters = Map.of();
            List<OipRequest.Input> inputs = null;
            List<String> outputs = List.of();
            Set<String> binaryOutputs = new HashSet<>();
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
                        inputs = inputs(p, binary);
                        break;
                    case "outputs":
                        outputs = outputs(p, binaryOutputs);
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
            binary.requireAllUsed();
            return new OipRequest(id, parameters, inputs, outputs, Set.copyOf(binaryOutputs));
        } catch (JsonParseException e) {
            throw new InvalidInputException("the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidInputException("the request body cannot be read: " + e.getMessage());
        }
    }

    private static List<OipRequest.Input> inputs(JsonParser p, Binary binary) throws IOException {
        expect(p.currentToken(), JsonToken.START_ARRAY, "'inputs'");
        List<OipRequest.Input> inputs = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            inputs.add(input(p, "inputs[" + inputs.size() + "]", binary));
        }
        return inputs;
    }

    private static OipRequest.Input input(JsonParser p, String where, Binary binary) throws IOException {
        expect(p.currentToken(), JsonToken.START_OBJECT, where);
        String name = null;
        String datatype = null;
        long[] shape = null;
        FloatList data = null;
        List<String> strings = null;
        long binarySize = -1;
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
                    Object size = parameters(p, where + ".parameters").get("binary_data_size");
                    if (size != null) {
                        if (!(size instanceof Long) || (Long) size < 0) {
                            throw new InvalidInputException(where + ".parameters.binary_data_size must be a "
                                    + "non-negative integer, found " + size);
                        }
                        binarySize = (Long) size;
                    }
                    break;
                case "data":
                    data = new FloatList();
                    strings = new ArrayList<>();
                    readData(p, data, strings, where + ".data");
                    break;
                default:
                    throw new InvalidInputException("unknown field '" + field + "' in " + where
                            + "; expected name, datatype, shape, parameters, data");
            }
        }
        if (name == null || datatype == null || shape == null) {
            throw new InvalidInputException(where + " must have name, datatype and shape");
        }
        if (binarySize >= 0) {
            if (data != null) {
                throw new InvalidInputException(where + " has both data and binary_data_size; give one");
            }
            return binary.take(name, datatype, shape, binarySize, where);
        }
        if (data == null) {
            throw new InvalidInputException(where + " has no data (give data, or binary_data_size with the binary "
                    + "tensor data extension)");
        }
        if ("BYTES".equals(datatype)) {
            if (data.size() > 0) {
                throw new InvalidInputException(where + ".data of a BYTES tensor must hold base64 strings, found numbers");
            }
            return OipRequest.Input.bytes(name, shape, base64(strings, where));
        }
        if (!strings.isEmpty()) {
            throw new InvalidInputException(where + ".data of a " + datatype + " tensor must hold numbers, found strings");
        }
        float[] values = data.toArray();
        if ("UINT8".equals(datatype)) {
            return OipRequest.Input.numeric(name, datatype, shape, null, toBytes(values, where));
        }
        return OipRequest.Input.numeric(name, datatype, shape, values, null);
    }

    private static List<byte[]> base64(List<String> strings, String where) {
        List<byte[]> elements = new ArrayList<>(strings.size());
        for (int i = 0; i < strings.size(); i++) {
            try {
                elements.add(Base64.getDecoder().decode(strings.get(i)));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(where + ".data element " + i
                        + " is not base64: BYTES elements in JSON are base64-encoded files");
            }
        }
        return elements;
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

    private static void readData(JsonParser p, FloatList numbers, List<String> strings, String where)
            throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_ARRAY) {
            while (p.nextToken() != JsonToken.END_ARRAY) {
                readData(p, numbers, strings, where);
            }
        } else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            numbers.add(p.getFloatValue());
        } else if (t == JsonToken.VALUE_STRING) {
            strings.add(p.getText());
        } else {
            throw new InvalidInputException(where + " must hold numbers, or base64 strings for BYTES (nested arrays "
                    + "allowed); found " + t.asString());
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

    private static List<String> outputs(JsonParser p, Set<String> binaryOutputs) throws IOException {
        expect(p.currentToken(), JsonToken.START_ARRAY, "'outputs'");
        List<String> names = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String where = "outputs[" + names.size() + "]";
            expect(p.currentToken(), JsonToken.START_OBJECT, where);
            String name = null;
            boolean binaryFlag = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if ("name".equals(field)) {
                    expect(v, JsonToken.VALUE_STRING, where + ".name");
                    name = p.getText();
                } else if ("parameters".equals(field)) {
                    if (Boolean.TRUE.equals(parameters(p, where + ".parameters").get("binary_data"))) {
                        binaryFlag = true;
                    }
                } else {
                    throw new InvalidInputException("unknown field '" + field + "' in " + where
                            + "; expected name, parameters");
                }
            }
            if (name == null) {
                throw new InvalidInputException(where + " has no name");
            }
            names.add(name);
            if (binaryFlag) {
                binaryOutputs.add(name);
            }
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

        int size() {
            return size;
        }

        float[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    /** The binary section after the JSON header, handed out to inputs in order. */
    private static final class Binary {
        private final byte[] body;
        private int position;

        Binary(byte[] body, int start) {
            this.body = body;
            this.position = start;
        }

        OipRequest.Input take(String name, String datatype, long[] shape, long size, String where) {
            if (size > body.length - position) {
                throw new InvalidInputException(where + " declares binary_data_size " + size + " but only "
                        + (body.length - position) + " bytes of binary data remain");
            }
            ByteBuffer slice = ByteBuffer.wrap(body, position, (int) size);
            position += (int) size;
            return BinaryTensors.input(name, datatype, shape, slice);
        }

        void requireAllUsed() {
            if (position != body.length) {
                throw new InvalidInputException((body.length - position) + " bytes of binary data follow the JSON "
                        + "header but no input claims them (binary_data_size)");
            }
        }
    }
}
