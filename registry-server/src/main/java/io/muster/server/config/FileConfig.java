package io.muster.server.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The YAML form of a node's settings (every key optional; command-line flags win):
 * <pre>{@code
 * id: n1
 * raft: 10.0.0.1:7001
 * grpc: 10.0.0.1:9001
 * peers: [ "n1=10.0.0.1:7001/10.0.0.1:9001", "n2=...", "n3=..." ]
 * data-dir: /var/lib/muster
 * election-timeout-ms: 1000
 * }</pre>
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record FileConfig(
        @JsonProperty("id") String id,
        @JsonProperty("raft") String raft,
        @JsonProperty("grpc") String grpc,
        @JsonProperty("peers") List<String> peers,
        @JsonProperty("data-dir") String dataDir,
        @JsonProperty("join") Boolean join,
        @JsonProperty("election-timeout-ms") Integer electionTimeoutMs,
        @JsonProperty("snapshot-interval-s") Integer snapshotIntervalSecs,
        @JsonProperty("history-size") Integer historySize,
        @JsonProperty("max-watchers") Integer maxWatchers,
        @JsonProperty("metrics-port") Integer metricsPort,
        @JsonProperty("health-threads") Integer healthThreads,
        @JsonProperty("restore") String restore) {

    public static FileConfig load(Path file) throws IOException {
        ObjectMapper mapper = new ObjectMapper(new YAMLFactory())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try {
            FileConfig c = mapper.readValue(file.toFile(), FileConfig.class);
            return c == null ? new FileConfig(null, null, null, null, null, null, null, null, null, null, null, null, null) : c;
        } catch (JsonMappingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
            throw new IllegalArgumentException(file + where + ": " + e.getOriginalMessage(), e);
        }
    }
}
