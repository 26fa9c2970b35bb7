package io.muster.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.ContentReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a configuration record from YAML (kebab-case keys, unknown keys refused) and turns every
 * problem into a one-line {@link ConfigException} naming where it is and what is wrong: the line and
 * column of the offending key, the key's path ({@code routes[0].canary.percent}), and for an unknown
 * key the known ones. The server's {@code --config} file and the gateway's configuration both load
 * through it.
 *
 * <pre>{@code
 * YamlConfigLoader loader = YamlConfigLoader.create();
 * GatewayConfig config = loader.load(Path.of("gateway.yaml"), GatewayConfig.class);
 * }</pre>
 */
public final class YamlConfigLoader {

    private static final Pattern YAML_MARK = Pattern.compile("^ in '[^']*', line (\\d+), column (\\d+):$");

    private final YAMLMapper mapper;

    private YamlConfigLoader(YAMLMapper mapper) {
        this.mapper = mapper;
    }

    /** A loader whose mapper also has {@code modules} (custom deserializers for value types). */
    public static YamlConfigLoader create(Module... modules) {
        YAMLMapper.Builder b = YAMLMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        for (Module m : modules) {
            b.addModule(m);
        }
        return new YamlConfigLoader(b.build());
    }

    /**
     * Reads and parses {@code file}.
     *
     * @return the configuration, or {@code null} for a file without any document (empty or only
     *     comments): the caller decides whether that is valid
     * @throws ConfigException the file is missing, unreadable or invalid
     */
    public <T> T load(Path file, Class<T> type) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e, e);
        }
        return parse(text, file.toString(), type);
    }

    /**
     * Parses {@code yaml}.
     *
     * @param source the name used in messages (usually the file name)
     * @return the configuration, or {@code null} for a document-less text
     * @throws ConfigException the text is not valid YAML or does not fit {@code type}
     */
    public <T> T parse(String yaml, String source, Class<T> type) {
        try {
            if (isEmpty(yaml)) {
                return null;
            }
            return mapper.readValue(yaml, type);
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof JsonProcessingException syntax && !(syntax instanceof JsonMappingException)) {
                throw syntaxError(source, syntax);
            }
            JsonLocation location = locate(yaml, e.getPath());
            throw new ConfigException(source + ": " + where(location != null ? location : e.getLocation()) + describe(e), e);
        } catch (JsonProcessingException e) {
            throw syntaxError(source, e);
        } catch (IOException e) {
            throw new ConfigException(source + ": cannot read: " + e, e);
        }
    }

    private boolean isEmpty(String yaml) throws IOException {
        try (JsonParser p = mapper.getFactory().createParser(yaml)) {
            return p.nextToken() == null;
        }
    }

    /**
     * One line out of SnakeYAML's multi-line report: its unindented lines are the context and the
     * problem, its {@code in 'reader', line L, column C:} lines the marks (the last one is the problem's).
     */
    private static ConfigException syntaxError(String source, JsonProcessingException e) {
        String original = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
        JsonLocation location = e.getLocation();
        List<String> text = new ArrayList<>();
        for (String line : original.split("\n")) {
            Matcher m = YAML_MARK.matcher(line);
            if (m.matches()) {
                location = new JsonLocation(ContentReference.unknown(), -1, Integer.parseInt(m.group(1)),
                        Integer.parseInt(m.group(2)));
            } else if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                text.add(line.strip());
            }
        }
        String problem = text.isEmpty() ? original.strip()
                : text.get(text.size() - 1) + (text.size() > 1 ? " (" + text.get(0) + ")" : "");
        return new ConfigException(source + ": " + where(location) + "invalid YAML: " + problem, e);
    }

    /**
     * Where the value at {@code path} starts. Jackson reports where the parser stood when it noticed
     * the problem, which for records (values are buffered until the constructor runs) is the end of
     * the enclosing mapping; a second streaming pass finds the key itself.
     */
    JsonLocation locate(String yaml, List<JsonMappingException.Reference> path) {
        if (path.isEmpty()) {
            return null;
        }
        StringBuilder target = new StringBuilder();
        for (JsonMappingException.Reference r : path) {
            target.append('/').append(r.getIndex() >= 0 ? Integer.toString(r.getIndex()) : r.getFieldName());
        }
        try (JsonParser p = mapper.getFactory().createParser(yaml)) {
            while (p.nextToken() != null) {
                if (p.getParsingContext().pathAsPointer().toString().contentEquals(target)) {
                    return p.currentTokenLocation();
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    private static String where(JsonLocation location) {
        if (location == null || location.getLineNr() <= 0) {
            return "";
        }
        return "line " + location.getLineNr() + ", column " + location.getColumnNr() + ": ";
    }

    private static String describe(JsonMappingException e) {
        String path = path(e.getPath());
        String prefix = path.isEmpty() ? "" : path + ": ";
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream().map(Object::toString)
                    .sorted().collect(Collectors.joining(", "));
            return prefix + "unknown key '" + u.getPropertyName() + "' (known keys: " + known + ")";
        }
        if (e instanceof ValueInstantiationException) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return prefix + root.getMessage();
        }
        if (e instanceof InvalidFormatException f) {
            Class<?> t = f.getTargetType();
            if (t != null && (t.isPrimitive() || Number.class.isAssignableFrom(t) || t == Boolean.class)) {
                return prefix + "'" + f.getValue() + "' is not " + typeName(t);
            }
            return prefix + f.getOriginalMessage();
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return prefix + "wrong type (expected: " + typeName(m.getTargetType()) + ")";
        }
        return prefix + e.getOriginalMessage();
    }

    private static String typeName(Class<?> type) {
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "a mapping";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "a number";
        }
        return type == String.class ? "a string" : type.getSimpleName();
    }

    /** {@code routes[0].canary.percent}. */
    static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            } else if (r.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            }
        }
        return sb.toString();
    }
}
