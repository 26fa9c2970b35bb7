package io.muster.gateway.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The admin port's pools page ({@code /ui/}, docs/console.md): a fixed list of files read once from
 * the jar. A request path is looked up in that list, never resolved against a directory, so no path
 * reaches another resource. Immutable.
 */
final class AdminPage {

  static final String BASE = "io/muster/gateway/admin/ui/";
  static final List<String> FILES = List.of("index.html", "pools.css", "pools.js");

  /** The page's own script, style and JSON only; never framed. */
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  record File(String name, byte[] bytes, String contentType, String etag) {}

  private final Map<String, File> byName;

  private AdminPage(Map<String, File> byName) {
    this.byName = Map.copyOf(byName);
  }

  /** Reads every file; a missing one is a packaging bug and fails the start. */
  static AdminPage load() {
    Map<String, File> m = new LinkedHashMap<>();
    for (String name : FILES) {
      try (InputStream in = AdminPage.class.getClassLoader().getResourceAsStream(BASE + name)) {
        if (in == null) {
          throw new IllegalStateException("admin page file missing from the jar: " + BASE + name);
        }
        byte[] bytes = in.readAllBytes();
        m.put(name, new File(name, bytes, contentType(name), etag(bytes)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + BASE + name, e);
      }
    }
    return new AdminPage(m);
  }

  /** The file for the path after {@code /ui/} ({@code ""}: index.html), or empty. */
  Optional<File> find(String name) {
    return Optional.ofNullable(byName.get(name.isEmpty() ? "index.html" : name));
  }

  static String contentType(String name) {
    if (name.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    if (name.endsWith(".js")) {
      // a module script must come with a JavaScript MIME type or the browser refuses it
      return "text/javascript; charset=utf-8";
    }
    if (name.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    return "application/octet-stream";
  }

  private static String etag(byte[] bytes) {
    try {
      return "\"" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 12) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
