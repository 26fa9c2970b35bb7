package io.muster.gateway.config;

import java.util.List;

/**
 * Registry servers the gateway watches for instances (any subset of the members works; the client
 * fails over between them). Empty: instances come from {@code static-instances}.
 *
 * @param targets {@code host:port} of registry servers
 */
public record RegistryConfig(List<String> targets) {

  public RegistryConfig {
    targets = targets == null ? List.of() : List.copyOf(targets);
    for (int i = 0; i < targets.size(); i++) {
      String t = targets.get(i);
      int colon = t.lastIndexOf(':');
      boolean ok = colon > 0 && colon < t.length() - 1;
      if (ok) {
        try {
          int port = Integer.parseInt(t.substring(colon + 1));
          ok = port >= 1 && port <= 65535;
        } catch (NumberFormatException e) {
          ok = false;
        }
      }
      Checks.checkArgument(ok, "targets[%d]: '%s' (expected: host:port)", i, t);
    }
  }
}
