package io.muster.gateway.config;

/** Argument checks whose messages name the configuration key, e.g. {@code port: 70000 (expected: 0-65535)}. */
final class Checks {

  private Checks() {}

  static void checkArgument(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(format, args));
    }
  }

  static <T> T required(T value, String key) {
    if (value == null || (value instanceof String s && s.isBlank())) {
      throw new IllegalArgumentException(key + ": required");
    }
    return value;
  }

  static long positiveMillis(Long value, long defaultValue, String key) {
    long v = value == null ? defaultValue : value;
    checkArgument(v > 0, "%s: %s (expected: > 0)", key, v);
    return v;
  }

  static int port(Integer port, String key) {
    required(port, key);
    checkArgument(port >= 0 && port <= 65535, "%s: %s (expected: 0-65535, 0 picks a free port)", key, port);
    return port;
  }
}
