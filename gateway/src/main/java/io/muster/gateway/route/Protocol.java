package io.muster.gateway.route;

import java.util.Locale;

/** What a route carries: plain HTTP, or gRPC (always HTTP/2 to the backend, errors as gRPC statuses). */
public enum Protocol {
  HTTP,
  GRPC;

  /** The name in configuration files. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** @throws IllegalArgumentException naming {@code key} and the allowed values */
  public static Protocol parse(String value, String key) {
    if (value == null || value.isBlank()) {
      return HTTP;
    }
    for (Protocol p : values()) {
      if (p.configName().equals(value.toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    throw new IllegalArgumentException(key + ": '" + value + "' (expected: http, grpc)");
  }
}
