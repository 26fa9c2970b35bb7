package io.muster.server.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;

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
        @JsonProperty("max-connection-idle-ms") Long maxConnectionIdleMs) {

    /** A file with no keys. */
    public static final FileConfig EMPTY = new FileConfig(null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null, null, null);

    /**
     * Loads {@code file}. Errors are one line naming the file, and for a bad key or value its line
     * and column (and, for an unknown key, the known ones).
     */
    public static FileConfig load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--config: " + file + ": no such file");
        }
        ObjectMapper mapper = new ObjectMapper(new YAMLFactory())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try {
            FileConfig c = mapper.readValue(file.toFile(), FileConfig.class);
            return c == null ? EMPTY : c;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--config: " + file + ": no such file");
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            String known = "";
            if (e instanceof UnrecognizedPropertyException u) {
                known = " (known keys: " + u.getKnownPropertyIds().stream().map(String::valueOf)
                        .collect(Collectors.toCollection(TreeSet::new)) + ")";
                throw new IllegalArgumentException(file + keyLocation(file, u.getPropertyName(), where)
                        + ": unknown key '" + u.getPropertyName() + "'" + known, e);
            }
            throw new IllegalArgumentException(file + where + ": " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Where a top-level key is written: Jackson reports the parser's position after it has skipped
     * the key's value, which is the next line.
     */
    private static String keyLocation(Path file, String key, String fallback) {
        try {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                String trimmed = line.stripLeading();
                if (trimmed.startsWith(key) && trimmed.substring(key.length()).stripLeading().startsWith(":")) {
                    return " at line " + (i + 1) + ", column " + (line.length() - trimmed.length() + 1);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the location is a courtesy: keep Jackson's
        }
        return fallback;
    }

    /** Sets every key present in the file on {@code b} (identity and join are handled by the caller). */
    public void applyTo(NodeConfig.Builder b) {
        set(dataDir == null ? null : Path.of(dataDir), b::dataDir);
        set(electionTimeoutMs, b::electionTimeoutMs);
        set(snapshotIntervalSecs, b::snapshotIntervalSecs);
        set(historySize, b::historySize);
        set(metricsPort, b::metricsPort);
        set(healthThreads, b::healthThreads);
        set(restore == null ? null : Path.of(restore), b::restoreFrom);
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

    /** Applies {@code value} when it is set (a key present in the file, or a flag given). */
    public static <T> void set(T value, Consumer<T> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }
}
