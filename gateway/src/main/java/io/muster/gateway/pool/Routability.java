package io.muster.gateway.pool;

import io.muster.api.v1.Instance;

/** Which instances may receive traffic. */
public final class Routability {

  private Routability() {}

  /** Why an instance cannot be used as an endpoint at all, or {@code null} if it can. */
  static String invalidReason(Instance instance) {
    if (instance.getId().isEmpty()) {
      return "empty id";
    }
    if (instance.getHost().isEmpty()) {
      return "empty host";
    }
    if (instance.getPort() < 1 || instance.getPort() > 65535) {
      return "port: " + instance.getPort() + " (expected: 1-65535)";
    }
    return null;
  }
}
