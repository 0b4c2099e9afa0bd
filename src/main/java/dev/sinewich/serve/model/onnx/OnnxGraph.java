package dev.sinewich.serve.model.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds an ONNX model (standard domain, opset {@value #OPSET}) node by node and encodes it as a
 * {@code ModelProto}. Values are named by the builder; constants become initializers with their
 * data inline. Field numbers are those of {@code onnx.proto}. Not thread-safe.
 */
final class OnnxGraph {

    /** The opset the graph is written against (LayerNormalization needs 17). */
    static final int OPSET = 17;

    /** The domain of ONNX Runtime's contributed operators. */
    static final String MICROSOFT = "com.microsoft";

    private static final long IR_VERSION = 8;
    private static final int FLOAT = 1;
    private static final int INT32 = 6;
    private static final int INT64 = 7;

    private final String name;
    private final List<ProtoWriter> nodes = new ArrayList<>();
    private final List<ProtoWriter> initializers = new ArrayList<>();
    private final List<ProtoWriter> inputs = new ArrayList<>();
    private final List<ProtoWriter> outputs = new ArrayList<>();
    private long constantBytes;
    private int counter;
    private boolean usesMicrosoft;

    /**
     * Starts an empty graph.
     *
     * @param name the graph name
     */
    OnnxGraph(String name) {
        this.name = name;
    }

    /** One node attribute. */
    static final class Attribute {
        private final ProtoWriter proto;

        private Attribute(ProtoWriter proto) {
            this.proto = proto;
        }
    }

    /**
     * An integer attribute.
     *
     * @param name the name
     * @param value the value
     * @return the attribute
     */
    static Attribute attr(String name, long value) {
        return new Attribute(new ProtoWriter().string(1, name).varint(3, value).varint(20, 2));
    }

    /**
     * A float attribute.
     *
     * @param name the name
     * @param value the value
     * @return the attribute
     */
    static Attribute attr(String name, float value) {
        return new Attribute(new ProtoWriter().string(1, name).float32(2, value).varint(20, 1));
    }

    /**
     * A string attribute.
     *
     * @param name the name
     * @param value the value
     * @return the attribute
     */
    static Attribute attr(String name, String value) {
        return new Attribute(new ProtoWriter().string(1, name).string(4, value).varint(20, 3));
    }

    /**
     * An integer-list attribute.
     *
     * @param name the name
     * @param values the values
     * @return the attribute
     */
    static Attribute ints(String name, long... values) {
        ProtoWriter p = new ProtoWriter().string(1, name);
        for (long v : values) {
            p.varint(8, v);
        }
        return new Attribute(p.varint(20, 7));
    }

    /**
     * Declares a float graph input. A negative dimension is symbolic, named after the input and
     * the axis.
     *
     * @param name the input name
     * @param dims the dimensions
     * @return the name
     */
    String input(String name, long... dims) {
        inputs.add(valueInfo(name, dims));
        return name;
    }

    /**
     * Declares an int64 graph input of fixed dimensions.
     *
     * @param name the input name
     * @param dims the dimensions
     * @return the name
     */
    String inputInt64(String name, long... dims) {
        inputs.add(valueInfo(name, dims, INT64));
        return name;
    }

    /**
     * Declares a float graph output of unspecified shape.
     *
     * @param value the value to expose
     */
    void output(String value) {
        outputs.add(valueInfo(value, null, FLOAT));
    }

    /**
     * Declares an int32 graph output of unspecified shape.
     *
     * @param value the value to expose
     */
    void outputInt32(String value) {
        outputs.add(valueInfo(value, null, INT32));
    }

    private static ProtoWriter valueInfo(String name, long[] dims) {
        return valueInfo(name, dims, FLOAT);
    }

    private static ProtoWriter valueInfo(String name, long[] dims, int elementType) {
        ProtoWriter tensor = new ProtoWriter().varint(1, elementType);
        if (dims != null) {
            ProtoWriter shape = new ProtoWriter();
            for (int i = 0; i < dims.length; i++) {
                ProtoWriter dim = new ProtoWriter();
                if (dims[i] >= 0) {
                    dim.varint(1, dims[i]);
                } else {
                    dim.string(2, name + "_" + i);
                }
                shape.message(1, dim);
            }
            tensor.message(2, shape);
        }
        ProtoWriter type = new ProtoWriter().message(1, tensor);
        return new ProtoWriter().string(1, name).message(2, type);
    }

    /**
     * Adds a float constant.
     *
     * @param hint a readable part of its name
     * @param values the values, row-major
     * @param dims the dimensions
     * @return the constant's name
     */
    String constant(String hint, float[] values, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        return initializer(hint, FLOAT, raw.array(), dims);
    }

    /**
     * Adds an int64 constant.
     *
     * @param hint a readable part of its name
     * @param values the values
     * @param dims the dimensions (none for a scalar)
     * @return the constant's name
     */
    String constant(String hint, long[] values, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        return initializer(hint, INT64, raw.array(), dims);
    }

    /**
     * Adds a float scalar constant.
     *
     * @param value the value
     * @return the constant's name
     */
    String scalar(float value) {
        return constant("scalar", new float[] {value});
    }

    private String initializer(String hint, int type, byte[] raw, long[] dims) {
        String valueName = fresh(hint);
        ProtoWriter t = new ProtoWriter(raw.length + 64);
        for (long d : dims) {
            t.varint(1, d);
        }
        t.varint(2, type).string(8, valueName).bytes(9, raw);
        initializers.add(t);
        constantBytes += raw.length;
        return valueName;
    }

    /**
     * Adds a node with one output.
     *
     * @param opType the operator
     * @param in the input value names ("" for an omitted optional input)
     * @param attributes its attributes
     * @return the output's name
     */
    String op(String opType, String[] in, Attribute... attributes) {
        return op(opType, 1, in, attributes)[0];
    }

    /**
     * Adds a node.
     *
     * @param opType the operator
     * @param outputCount how many outputs it has
     * @param in the input value names ("" for an omitted optional input)
     * @param attributes its attributes
     * @return the outputs' names
     */
    String[] op(String opType, int outputCount, String[] in, Attribute... attributes) {
        return node("", opType, outputCount, in, attributes);
    }

    /**
     * Adds a node of ONNX Runtime's contributed operators (domain {@value #MICROSOFT}, version 1),
     * with one output.
     *
     * @param opType the operator
     * @param in the input value names ("" for an omitted optional input)
     * @param attributes its attributes
     * @return the output's name
     */
    String microsoftOp(String opType, String[] in, Attribute... attributes) {
        usesMicrosoft = true;
        return node(MICROSOFT, opType, 1, in, attributes)[0];
    }

    private String[] node(String domain, String opType, int outputCount, String[] in, Attribute... attributes) {
        String[] out = new String[outputCount];
        ProtoWriter node = new ProtoWriter();
        for (String i : in) {
            node.string(1, i);
        }
        for (int k = 0; k < outputCount; k++) {
            out[k] = fresh(opType);
            node.string(2, out[k]);
        }
        node.string(3, out[0] + "_node").string(4, opType);
        for (Attribute a : attributes) {
            node.message(5, a.proto);
        }
        if (!domain.isEmpty()) {
            node.string(7, domain);
        }
        nodes.add(node);
        return out;
    }

    /**
     * Renames a value so that it can be a graph output of a known name.
     *
     * @param value the value
     * @param outputName the name
     * @return the name
     */
    String identity(String value, String outputName) {
        nodes.add(new ProtoWriter().string(1, value).string(2, outputName).string(3, outputName + "_node")
                .string(4, "Identity"));
        return outputName;
    }

    /**
     * Encodes the model.
     *
     * @return a serialised {@code ModelProto}
     */
    byte[] toModel() {
        ProtoWriter graph = new ProtoWriter((int) Math.min(Integer.MAX_VALUE - 64, constantBytes + (1 << 16)));
        nodes.forEach(n -> graph.message(1, n));
        graph.string(2, name);
        initializers.forEach(t -> graph.message(5, t));
        inputs.forEach(i -> graph.message(11, i));
        outputs.forEach(o -> graph.message(12, o));
        ProtoWriter opset = new ProtoWriter().string(1, "").varint(2, OPSET);
        ProtoWriter model = new ProtoWriter().varint(1, IR_VERSION).string(2, "sinewich-serve").message(7, graph)
                .message(8, opset);
        if (usesMicrosoft) {
            model.message(8, new ProtoWriter().string(1, MICROSOFT).varint(2, 1));
        }
        return model.toByteArray();
    }

    private String fresh(String hint) {
        return hint + "_" + counter++;
    }
}
