package io.muster.client.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * How a command prints its answer ({@code -o table|wide|json|yaml}). JSON and YAML print one
 * document per command, so {@code jq} and YAML tools read the whole answer; protobuf messages go
 * through {@link JsonFormat} (the proto3 JSON mapping: lowerCamelCase names, int64 as strings,
 * fields at their default value included, so a script sees {@code "leader": false}). Only
 * {@code watch} prints one JSON document per line, since it never ends.
 */
final class Output {

    /** The formats of {@code -o}. */
    enum Format {
        TABLE, WIDE, JSON, YAML;

        boolean structured() {
            return this == JSON || this == YAML;
        }

        boolean wide() {
            return this == WIDE;
        }
    }

    /** The values picocli offers for completion and lists in the help (lowercase, as typed). */
    static final class FormatNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            List<String> names = new ArrayList<>();
            for (Format f : Format.values()) {
                names.add(f.name().toLowerCase(Locale.ROOT));
            }
            return names.iterator();
        }
    }

    // created on first use: a table-only command does not load Jackson (start time)
    private static final class Mappers {
        static final ObjectMapper JSON = new ObjectMapper();
        static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                // int64 fields are strings in proto3 JSON: keep them strings in YAML too
                .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS));
    }

    private static final JsonFormat.Printer PROTO = JsonFormat.printer().alwaysPrintFieldsWithNoPresence()
            .omittingInsignificantWhitespace();

    private final PrintWriter out;
    private final Format format;

    Output(PrintWriter out, Format format) {
        this.out = out;
        this.format = format;
    }

    Format format() {
        return format;
    }

    boolean structured() {
        return format.structured();
    }

    boolean wide() {
        return format.wide();
    }

    /** A protobuf message as a JSON tree (for building a document of several parts). */
    static ObjectNode tree(MessageOrBuilder m) {
        try {
            return (ObjectNode) Mappers.JSON.readTree(PROTO.print(m));
        } catch (InvalidProtocolBufferException | JsonProcessingException e) {
            throw new IllegalStateException("cannot print " + m.getClass().getSimpleName(), e);
        }
    }

    static ObjectNode object() {
        return Mappers.JSON.createObjectNode();
    }

    /** {@code {"field": [items...]}}: a list answer as one document. */
    static ObjectNode list(String field, List<? extends MessageOrBuilder> items) {
        ObjectNode doc = object();
        ArrayNode array = doc.putArray(field);
        items.forEach(i -> array.add(tree(i)));
        return doc;
    }

    /** Prints a message as the whole document. */
    void document(MessageOrBuilder m) {
        document(tree(m));
    }

    /** Prints a tree as the whole document, in JSON (one line) or YAML. */
    void document(JsonNode doc) {
        try {
            if (format == Format.YAML) {
                out.print(Mappers.YAML.writeValueAsString(doc));
            } else {
                out.println(Mappers.JSON.writeValueAsString(doc));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }

    /** One line of a stream of JSON documents ({@code watch -o json}). */
    void line(MessageOrBuilder m) {
        if (format == Format.YAML) {
            out.println("---");
            document(m);
            return;
        }
        document(m);
    }

    PrintWriter out() {
        return out;
    }
}
