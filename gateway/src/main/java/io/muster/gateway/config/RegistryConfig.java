package io.muster.gateway.config;

import io.muster.api.HostPorts;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Registry servers the gateway watches for instances (any subset of the members works; the client
 * fails over between them). Empty: instances come from {@code static-instances}.
 *
 * @param targets     {@code host:port} of registry servers
 * @param snapshotDir where the last known instances of each routed service are kept, so a gateway
 *                    restarted while the registry is unreachable still routes to them (served as
 *                    stale until the registry answers); default {@value #DEFAULT_SNAPSHOT_DIR} under
 *                    {@code java.io.tmpdir} (deploy/local/run.sh points that into its run dir);
 *                    {@code off} disables it
 * @param token       ACL token for the gateway's registry calls (docs/security.md): one with
 *                    {@code read} on the services it routes; null when the registry runs without ACLs
 * @param tokenFile   the same, read from the first line of this file at start (wins over {@code token})
 * @param tls         talk TLS to the members (implied by {@code ca} or {@code cert}); without {@code ca}
 *                    the JDK's default CAs are trusted
 * @param ca          PEM CA certificate that signed the members' certificates
 * @param cert        PEM client certificate, for members that ask for one ({@code --tls-client-auth}); with {@code key}
 * @param key         its PEM PKCS#8 private key
 */
public record RegistryConfig(List<String> targets, String snapshotDir, String token, String tokenFile,
                             Boolean tls, String ca, String cert, String key) {

  public static final String DEFAULT_SNAPSHOT_DIR = "muster-gateway/registry-snapshots";

  public RegistryConfig(List<String> targets) {
    this(targets, null);
  }

  public RegistryConfig(List<String> targets, String snapshotDir) {
    this(targets, snapshotDir, null, null, null, null, null, null);
  }

  /** Whether the connection to the members is TLS. */
  public boolean tlsOn() {
    return Boolean.TRUE.equals(tls) || ca != null || cert != null;
  }

  /** The failsafe snapshot directory, or empty when turned off. */
  public Optional<Path> snapshotPath() {
    if ("off".equals(snapshotDir)) {
      return Optional.empty();
    }
    return Optional.of(snapshotDir == null
        ? Path.of(System.getProperty("java.io.tmpdir"), DEFAULT_SNAPSHOT_DIR)
        : Path.of(snapshotDir));
  }

  public RegistryConfig {
    Checks.checkArgument(snapshotDir == null || !snapshotDir.isBlank(), "snapshot-dir: '%s' (expected: a directory or off)", snapshotDir);
    Checks.checkArgument(token == null || !token.isBlank(), "token: blank (expected: <accessor_id>.<secret>, or no key)");
    Checks.checkArgument(tokenFile == null || !tokenFile.isBlank(), "token-file: blank (expected: a file, or no key)");
    Checks.checkArgument((cert == null) == (key == null), "registry.%s: missing (cert and key go together)", cert == null ? "cert" : "key");
    Checks.checkArgument(!Boolean.FALSE.equals(tls) || (ca == null && cert == null), "registry.tls: false, but ca or cert is set");
    targets = targets == null ? List.of() : List.copyOf(targets);
    for (int i = 0; i < targets.size(); i++) {
      HostPorts.parse("targets[" + i + "]", targets.get(i));
    }
  }
}
