package io.muster.server.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.muster.config.ConfigException;
import io.muster.config.YamlConfigLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The YAML form of a node's settings (every key optional; command-line flags win). Keys are the
 * flag names without the dashes in front:
 * <pre>{@code
 * id: n1
 * raft: 10.0.0.1:7001
 * grpc: 10.0.0.1:9001
 * peer: 10.0.0.1:7101
 * peers: [ "n1=10.0.0.1:7001/10.0.0.1:9001/10.0.0.1:7101", "n2=...", "n3=..." ]
 * data-dir: /var/lib/muster
 * election-timeout-ms: 1000
 * max-watchers-per-connection: 1000
 * peer-tls-cert: /etc/muster/tls/member.pem
 * peer-tls-key: /etc/muster/tls/member-key.pem
 * peer-tls-ca: /etc/muster/tls/ca.pem
 * tls-cert: /etc/muster/tls/n1.pem
 * tls-key: /etc/muster/tls/n1-key.pem
 * tls-client-ca: /etc/muster/tls/ca.pem
 * tls-client-auth: require
 * http-tls-client-auth: none
 * }</pre>
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record FileConfig(
        @JsonProperty("id") String id,
        @JsonProperty("raft") String raft,
        @JsonProperty("grpc") String grpc,
        @JsonProperty("peer") String peer,
        @JsonProperty("peers") List<String> peers,
        @JsonProperty("data-dir") String dataDir,
        @JsonProperty("join") Boolean join,
        @JsonProperty("election-timeout-ms") Integer electionTimeoutMs,
        @JsonProperty("snapshot-interval-s") Integer snapshotIntervalSecs,
        @JsonProperty("history-size") Integer historySize,
        @JsonProperty("metrics-port") Integer metricsPort,
        @JsonProperty("http-port") Integer httpPort,
        @JsonProperty("health-threads") Integer healthThreads,
        @JsonProperty("restore") String restore,
        @JsonProperty("max-message-bytes") Integer maxMessageBytes,
        @JsonProperty("max-instance-bytes") Integer maxInstanceBytes,
        @JsonProperty("max-instances-per-service") Integer maxInstancesPerService,
        @JsonProperty("max-instances") Integer maxInstances,
        @JsonProperty("max-watchers") Integer maxWatchers,
        @JsonProperty("max-watchers-per-connection") Integer maxWatchersPerConnection,
        @JsonProperty("max-keep-alive-streams-per-connection") Integer maxKeepAliveStreamsPerConnection,
        @JsonProperty("max-concurrent-calls-per-connection") Integer maxConcurrentCallsPerConnection,
        @JsonProperty("max-watch-services") Integer maxWatchServices,
        @JsonProperty("permit-keep-alive-time-ms") Long permitKeepAliveTimeMs,
        @JsonProperty("max-connection-idle-ms") Long maxConnectionIdleMs,
        @JsonProperty("raft-inline-dispatch") Boolean raftInlineDispatch,
        @JsonProperty("peer-tls-cert") String peerTlsCert,
        @JsonProperty("peer-tls-key") String peerTlsKey,
        @JsonProperty("peer-tls-ca") String peerTlsCa,
        @JsonProperty("acl-enabled") Boolean aclEnabled,
        @JsonProperty("acl-bootstrap-token-file") String aclBootstrapTokenFile,
        @JsonProperty("tls-cert") String tlsCert,
        @JsonProperty("tls-key") String tlsKey,
        @JsonProperty("tls-client-ca") String tlsClientCa,
        @JsonProperty("tls-client-auth") String tlsClientAuth,
        @JsonProperty("http-tls-client-auth") String httpTlsClientAuth) {

    /** A file with no keys. */
    public static final FileConfig EMPTY = new FileConfig(null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

    private static final YamlConfigLoader LOADER = YamlConfigLoader.create();

    /**
     * Loads {@code file} through the loader the gateway uses too. Errors are one line starting with
     * {@code --config:} and naming the file, and for a bad key or value its line and column (and, for
     * an unknown key, the known ones). A file without any document has no keys.
     *
     * @throws ConfigException (an {@link IllegalArgumentException}) the file is missing, unreadable or invalid
     */
    public static FileConfig load(Path file) {
        try {
            FileConfig c = LOADER.load(file, FileConfig.class);
            return c == null ? EMPTY : c;
        } catch (ConfigException e) {
            throw new ConfigException("--config: " + e.getMessage(), e.getCause());
        }
    }

    /**
     * Sets every key present in the file on {@code b} (identity, join and the peer TLS files, which
     * flags may complete, are handled by the caller).
     */
    public void applyTo(NodeConfig.Builder b) {
        set(dataDir == null ? null : Path.of(dataDir), b::dataDir);
        set(electionTimeoutMs, b::electionTimeoutMs);
        set(snapshotIntervalSecs, b::snapshotIntervalSecs);
        set(historySize, b::historySize);
        set(metricsPort, b::metricsPort);
        set(httpPort, b::httpPort);
        set(healthThreads, b::healthThreads);
        set(restore == null ? null : Path.of(restore), b::restoreFrom);
        set(raftInlineDispatch, b::raftInlineDispatch);
        set(aclEnabled, b::aclEnabled);
        set(aclBootstrapTokenFile == null ? null : Path.of(aclBootstrapTokenFile), b::aclBootstrapTokenFile);
        Limits.Builder l = b.limits();
        set(maxMessageBytes, l::maxMessageBytes);
        set(maxInstanceBytes, l::maxInstanceBytes);
        set(maxInstancesPerService, l::maxInstancesPerService);
        set(maxInstances, l::maxInstances);
        set(maxWatchers, l::maxWatchers);
        set(maxWatchersPerConnection, l::maxWatchersPerConnection);
        set(maxKeepAliveStreamsPerConnection, l::maxKeepAliveStreamsPerConnection);
        set(maxConcurrentCallsPerConnection, l::maxConcurrentCallsPerConnection);
        set(maxWatchServices, l::maxWatchServices);
        set(permitKeepAliveTimeMs, l::permitKeepAliveTimeMs);
        set(maxConnectionIdleMs, l::maxConnectionIdleMs);
    }

    /** A path from a file key, or null. */
    public static Path path(String value) {
        return value == null ? null : Path.of(value);
    }

    /** Applies {@code value} when it is set (a key present in the file, or a flag given). */
    public static <T> void set(T value, Consumer<T> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }
}
