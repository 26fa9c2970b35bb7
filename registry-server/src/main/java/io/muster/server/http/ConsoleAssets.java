package io.muster.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The web console's files ({@code /ui/...}, {@code docs/console.md}), read once from the jar into
 * memory. A request names a file of this fixed list or nothing: a path is looked up, never resolved
 * against a directory, so {@code ..}, encoded slashes or absolute paths cannot reach another resource.
 * Immutable; shared by every connection.
 */
final class ConsoleAssets {

    /** Where the files live in the jar, and the files served (a test checks the list is complete). */
    static final String BASE = "io/muster/server/http/console/";
    static final List<String> FILES = List.of("index.html", "console.css", "console.js", "api.js", "dom.js",
            "services.js", "service.js", "members.js");

    /**
     * Only the member's own scripts, styles and API: no inline script, no other origin, no framing
     * (the console's actions carry a token, so it must not be clickjacked or fed a foreign script).
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /** One file: its bytes, content type and a strong ETag of the bytes. */
    record Asset(String name, byte[] bytes, String contentType, String etag) {
    }

    private final Map<String, Asset> byName;

    private ConsoleAssets(Map<String, Asset> byName) {
        this.byName = Map.copyOf(byName);
    }

    /** Reads every file of {@link #FILES}; a missing one is a packaging bug and fails the member's start. */
    static ConsoleAssets load() {
        Map<String, Asset> m = new LinkedHashMap<>();
        ClassLoader loader = ConsoleAssets.class.getClassLoader();
        for (String name : FILES) {
            try (InputStream in = loader.getResourceAsStream(BASE + name)) {
                if (in == null) {
                    throw new IllegalStateException("console file missing from the jar: " + BASE + name);
                }
                byte[] bytes = in.readAllBytes();
                m.put(name, new Asset(name, bytes, contentType(name), etag(bytes)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + BASE + name, e);
            }
        }
        return new ConsoleAssets(m);
    }

    /**
     * The file for the path after {@code /ui/} ({@code ""} is {@code index.html}); empty for anything
     * else, including every path with a {@code /}.
     */
    Optional<Asset> find(String name) {
        return Optional.ofNullable(byName.get(name.isEmpty() ? "index.html" : name));
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static String contentType(String name) {
        String ext = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        return switch (ext) {
            case "html" -> "text/html; charset=utf-8";
            // a module script must come with a JavaScript MIME type or the browser refuses it
            case "js", "mjs" -> "text/javascript; charset=utf-8";
            case "css" -> "text/css; charset=utf-8";
            case "svg" -> "image/svg+xml";
            case "png" -> "image/png";
            case "json" -> "application/json";
            default -> "application/octet-stream";
        };
    }
}
