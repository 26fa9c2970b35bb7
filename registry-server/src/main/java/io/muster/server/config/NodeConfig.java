package io.muster.server.config;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything a registry node needs to start. Validated on construction; error messages name the
 * field and the allowed range.
 *
 * @param self               this node
 * @param peers              the initial members, including {@code self} (empty with {@code join})
 * @param join               start empty and wait to be added by {@code muster member add}
 * @param metricsPort        Prometheus/HTTP port, 0 picks a free one, -1 disables
 * @param restoreFrom        a backup ({@code muster snapshot save}) to load into a new, empty cluster; or null
 */
public record NodeConfig(PeerSpec self, List<PeerSpec> peers, Path dataDir, boolean join, int electionTimeoutMs,
                         int snapshotIntervalSecs, int historySize, int maxWatchers, boolean syncLog,
                         int metricsPort, int healthThreads, Path restoreFrom) {

    public NodeConfig {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(dataDir, "data dir");
        peers = List.copyOf(peers);
        if (!join) {
            if (peers.stream().noneMatch(p -> p.id().equals(self.id()))) {
                throw new IllegalArgumentException("peers: must include this node '" + self.id() + "'");
            }
            Set<String> ids = new HashSet<>();
            Set<String> addrs = new HashSet<>();
            for (PeerSpec p : peers) {
                if (!ids.add(p.id())) {
                    throw new IllegalArgumentException("peers: duplicate id '" + p.id() + "'");
                }
                if (!addrs.add(p.raftAddress())) {
                    throw new IllegalArgumentException("peers: duplicate raft address '" + p.raftAddress() + "'");
                }
                if (p.id().equals(self.id()) && !p.equals(self)) {
                    throw new IllegalArgumentException("peers: entry for '" + self.id() + "' (" + p
                            + ") differs from this node's addresses (" + self + ")");
                }
            }
        }
        range("election timeout ms", electionTimeoutMs, 100, 60_000);
        range("snapshot interval s", snapshotIntervalSecs, 1, 86_400);
        range("history size", historySize, 16, 10_000_000);
        range("max watchers", maxWatchers, 1, 1_000_000);
        range("metrics port", metricsPort, -1, 65535);
        range("health threads", healthThreads, 1, 64);
    }

    private static void range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: " + min + "-" + max + ")");
        }
    }

    /** Defaults for a member of {@code peers}. */
    public static NodeConfig of(PeerSpec self, List<PeerSpec> peers, Path dataDir) {
        return new NodeConfig(self, peers, dataDir, false, 1000, 3600, 100_000, 100_000, true, -1, 2, null);
    }

    public NodeConfig withElectionTimeoutMs(int ms) {
        return new NodeConfig(self, peers, dataDir, join, ms, snapshotIntervalSecs, historySize, maxWatchers, syncLog, metricsPort, healthThreads, restoreFrom);
    }

    public NodeConfig withHistorySize(int size) {
        return new NodeConfig(self, peers, dataDir, join, electionTimeoutMs, snapshotIntervalSecs, size, maxWatchers, syncLog, metricsPort, healthThreads, restoreFrom);
    }

    /** A node outside any cluster, waiting to be added with {@code muster member add}. */
    public static NodeConfig joining(PeerSpec self, Path dataDir) {
        return new NodeConfig(self, List.of(), dataDir, true, 1000, 3600, 100_000, 100_000, true, -1, 2, null);
    }

    public NodeConfig withMetricsPort(int port) {
        return new NodeConfig(self, peers, dataDir, join, electionTimeoutMs, snapshotIntervalSecs, historySize, maxWatchers, syncLog, port, healthThreads, restoreFrom);
    }

    public NodeConfig withRestoreFrom(Path backup) {
        return new NodeConfig(self, peers, dataDir, join, electionTimeoutMs, snapshotIntervalSecs, historySize, maxWatchers, syncLog, metricsPort, healthThreads, backup);
    }

    public NodeConfig withSnapshotIntervalSecs(int secs) {
        return new NodeConfig(self, peers, dataDir, join, electionTimeoutMs, secs, historySize, maxWatchers, syncLog, metricsPort, healthThreads, restoreFrom);
    }
}
