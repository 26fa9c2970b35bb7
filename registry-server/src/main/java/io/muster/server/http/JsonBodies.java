package io.muster.server.http;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.util.Map;

/**
 * Request bodies: JSON to a protobuf message with {@link JsonFormat}, and on failure an
 * {@code INVALID_ARGUMENT} that names the field. JsonFormat's own reasons do not always
 * ({@code Not an uint32 value: "eighty"}), so a failing body is parsed again field by field to find
 * the path ({@code instance.port}); that costs only on an error.
 */
final class JsonBodies {

    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private JsonBodies() {
    }

    static void merge(String body, Message.Builder into) {
        String expected = "a " + into.getDescriptorForType().getFullName() + " as JSON";
        JsonElement tree;
        try {
            tree = JsonParser.parseString(body.isBlank() ? "{}" : body);
        } catch (JsonParseException e) {
            // gson's reason carries the position and the JSON path
            throw HttpErrors.invalid("body", "malformed JSON: " + reason(e), expected).asRuntimeException();
        }
        try {
            PARSER.merge(tree.toString(), into);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            String path = tree.isJsonObject() ? failingField(into.getDescriptorForType(), tree.getAsJsonObject(), "") : null;
            throw HttpErrors.invalid(path == null ? "body" : path, lower(e.getMessage()), expected).asRuntimeException();
        }
    }

    /** The path of the first field of {@code obj} that does not parse as {@code type}, or null. */
    private static String failingField(Descriptor type, JsonObject obj, String prefix) {
        for (Map.Entry<String, JsonElement> e : obj.entrySet()) {
            String path = prefix + e.getKey();
            JsonObject alone = new JsonObject();
            alone.add(e.getKey(), e.getValue());
            if (parses(type, alone)) {
                continue;
            }
            FieldDescriptor f = field(type, e.getKey());
            if (f != null && f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isMapField()) {
                JsonElement v = e.getValue();
                if (v.isJsonObject() && !f.isRepeated()) {
                    String inner = failingField(f.getMessageType(), v.getAsJsonObject(), path + ".");
                    return inner != null ? inner : path;
                }
                if (v.isJsonArray() && f.isRepeated()) {
                    for (int i = 0; i < v.getAsJsonArray().size(); i++) {
                        JsonElement item = v.getAsJsonArray().get(i);
                        if (item.isJsonObject()) {
                            String inner = failingField(f.getMessageType(), item.getAsJsonObject(), path + "[" + i + "].");
                            if (inner != null) {
                                return inner;
                            }
                        }
                    }
                }
            }
            return path;
        }
        return null;
    }

    private static boolean parses(Descriptor type, JsonObject obj) {
        try {
            PARSER.merge(obj.toString(), DynamicMessage.newBuilder(type));
            return true;
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            return false;
        }
    }

    private static FieldDescriptor field(Descriptor type, String jsonName) {
        for (FieldDescriptor f : type.getFields()) {
            if (f.getName().equals(jsonName) || f.getJsonName().equals(jsonName)) {
                return f;
            }
        }
        return null;
    }

    private static String reason(Throwable e) {
        Throwable t = e.getCause() != null ? e.getCause() : e;
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    private static String lower(String s) {
        return s == null || s.isEmpty() ? String.valueOf(s) : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
