package dev.sinewich.serve.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * One object of {@code sinewich.json} with its key path, giving typed, checked access whose errors
 * name the path, the expected and the found value. Not thread-safe (used while parsing).
 */
final class ConfigObject {

    private final JsonNode node;
    private final String prefix;

    ConfigObject(JsonNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    String path(String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }

    void allow(String... keys) {
        Set<String> allowed = Set.of(keys);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                throw new BundleException(ConfigParser.FILE + ": " + path(key) + ": unknown key (allowed here: "
                        + String.join(", ", keys) + ")");
            }
        }
    }

    boolean has(String key) {
        return node.has(key);
    }

    boolean isNullOrAbsent(String key) {
        return !node.has(key) || node.get(key).isNull();
    }

    JsonNode required(String key) {
        JsonNode value = node.get(key);
        if (value == null) {
            throw new BundleException(ConfigParser.FILE + ": " + path(key) + ": required key is missing");
        }
        return value;
    }

    String string(String key) {
        JsonNode v = required(key);
        if (!v.isTextual()) {
            throw ConfigParser.fail(path(key), "a string", v);
        }
        return v.textValue();
    }

    double number(String key) {
        JsonNode v = required(key);
        if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
            throw ConfigParser.fail(path(key), "a finite number", v);
        }
        return v.doubleValue();
    }

    int positiveInt(String key) {
        JsonNode v = required(key);
        if (!v.canConvertToExactIntegral() || !v.canConvertToInt() || v.intValue() < 1) {
            throw ConfigParser.fail(path(key), "an integer ≥ 1", v);
        }
        return v.intValue();
    }

    ConfigObject object(String key) {
        JsonNode v = required(key);
        if (!v.isObject()) {
            throw ConfigParser.fail(path(key), "an object", v);
        }
        return new ConfigObject(v, path(key));
    }

    List<ConfigObject> array(String key) {
        JsonNode v = required(key);
        if (!v.isArray()) {
            throw ConfigParser.fail(path(key), "an array", v);
        }
        List<ConfigObject> items = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            String itemPath = path(key) + "[" + i + "]";
            if (!item.isObject()) {
                throw ConfigParser.fail(itemPath, "an object", item);
            }
            items.add(new ConfigObject(item, itemPath));
        }
        return items;
    }

    List<Integer> positiveInts(String key) {
        JsonNode v = required(key);
        List<Integer> values = new ArrayList<>();
        if (v.isArray()) {
            for (JsonNode item : v) {
                if (!item.canConvertToExactIntegral() || !item.canConvertToInt() || item.intValue() < 1) {
                    throw ConfigParser.fail(path(key), "an array of integers ≥ 1", v);
                }
                values.add(item.intValue());
            }
            return List.copyOf(values);
        }
        throw ConfigParser.fail(path(key), "an array of integers ≥ 1", v);
    }

    List<Float> floats(String key, int count) {
        JsonNode v = required(key);
        if (!v.isArray() || v.size() != count) {
            throw ConfigParser.fail(path(key), "an array of " + count + " numbers", v);
        }
        List<Float> values = new ArrayList<>();
        for (JsonNode item : v) {
            if (!item.isNumber() || !Double.isFinite(item.doubleValue())) {
                throw ConfigParser.fail(path(key), "an array of " + count + " finite numbers", v);
            }
            values.add(item.floatValue());
        }
        return List.copyOf(values);
    }

    List<String> strings(String key) {
        JsonNode v = required(key);
        if (!v.isArray()) {
            throw ConfigParser.fail(path(key), "an array of strings", v);
        }
        List<String> values = new ArrayList<>();
        for (JsonNode item : v) {
            if (!item.isTextual()) {
                throw ConfigParser.fail(path(key), "an array of strings", v);
            }
            values.add(item.textValue());
        }
        return List.copyOf(values);
    }
}
