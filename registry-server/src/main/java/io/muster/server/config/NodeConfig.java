package io.muster.server.config;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything a registry node needs to start. Built with {@link #builder}; the defaults are the
 * constants below, and both the YAML file and the flags apply to one builder (flags last). Validated
 * on construction; error messages name the field and the allowed range.
 *
 * @param self        this node
 * @param peers       the initial members, including {@code self} (empty with {@code join})
 * @param join        start empty and wait to be added by {@code muster member add}
 * @param metricsPort Prometheus/HTTP port, 0 picks a free one, -1 disables
 * @param httpPort    port of the HTTP/JSON API (docs/api.md), 0 = off
 * @param restoreFrom a backup ({@code muster snapshot save}) to load into a new, empty cluster; or null
 * @param limits      what this member accepts from clients
 * @param raftInlineDispatch process-wide, applied by {@code Main} (never by the node): bolt, the Raft
 *                    transport, hands Raft responses and batches of requests on from its I/O threads
 *                    instead of through its shared default pool (docs/architecture.md, "Process-wide settings")
 * @param peerTls     mutual TLS on the peer listener and the Raft transport; null = plaintext
 * @param aclEnabled  every call on the public port needs a token (docs/security.md)
 * @param aclBootstrapTokenFile where the first leader of a cluster with ACLs on and no bootstrap token
 *                    writes the one it creates; null: {@code <data-dir>/acl-bootstrap-token}
 * @param tls         TLS on the public gRPC port, or null for plain text (docs/security.md)
 * @param dialRoutes  for fault-injection tests: a member Raft or peer address mapped to the address this
 *                    member dials instead (a proxy the test controls); the member's identity stays the
 *                    address it is mapped from. Peer addresses apply per node; Raft addresses are
 *                    process-wide (bolt parses addresses in one JVM-wide table), applied by {@code Main}
 */
public record NodeConfig(PeerSpec self, List<PeerSpec> peers, Path dataDir, boolean join, int electionTimeoutMs,
                         int snapshotIntervalSecs, int historySize, boolean syncLog, int metricsPort,
                         int healthThreads, Path restoreFrom, Limits limits, boolean raftInlineDispatch,
                         PeerTlsFiles peerTls, boolean aclEnabled, Path aclBootstrapTokenFile, PublicTls tls,
                         Map<String, String> dialRoutes, int httpPort) {

    public static final int DEFAULT_ELECTION_TIMEOUT_MS = 1000;
    public static final int DEFAULT_SNAPSHOT_INTERVAL_SECS = 3600;
    public static final int DEFAULT_HISTORY_SIZE = 100_000;
    public static final int DEFAULT_METRICS_PORT = -1;
    public static final int DEFAULT_HEALTH_THREADS = 2;
    /** The HTTP/JSON API is off unless a port is given. */
    public static final int DEFAULT_HTTP_PORT = 0;
    public static final boolean DEFAULT_RAFT_INLINE_DISPATCH = true;

    public NodeConfig {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(dataDir, "data dir");
        Objects.requireNonNull(limits, "limits");
        peers = List.copyOf(peers);
        dialRoutes = Map.copyOf(dialRoutes);
        dialRoutes.forEach((from, to) -> {
            HostPort.parse("dial route", from);
            HostPort.parse("dial route " + from, to);
        });
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
                for (String a : List.of(p.raftAddress(), p.grpcAddress(), p.peerAddress())) {
                    if (!addrs.add(a)) {
                        throw new IllegalArgumentException("peers: address '" + a + "' used twice");
                    }
                }
                if (p.id().equals(self.id()) && !p.equals(self)) {
                    throw new IllegalArgumentException("peers: entry for '" + self.id() + "' (" + p
                            + ") differs from this node's addresses (" + self + ")");
                }
            }
        }
        range("election-timeout-ms", electionTimeoutMs, 100, 60_000);
        range("snapshot-interval-s", snapshotIntervalSecs, 1, 86_400);
        range("history-size", historySize, 16, 10_000_000);
        range("metrics-port", metricsPort, -1, 65535);
        range("health-threads", healthThreads, 1, 64);
        range("http-port", httpPort, 0, 65535);
    }

    /** Where the bootstrap token is written: the flag's path, or {@code acl-bootstrap-token} in the data dir. */
    public Path bootstrapTokenFile() {
        return aclBootstrapTokenFile != null ? aclBootstrapTokenFile : dataDir.resolve("acl-bootstrap-token");
    }

    static void range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: " + min + "-" + max + ")");
        }
    }

    /** A builder for {@code self} with every default. */
    public static Builder builder(PeerSpec self) {
        return new Builder(self);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Defaults for a member of {@code peers}. */
    public static NodeConfig of(PeerSpec self, List<PeerSpec> peers, Path dataDir) {
        return builder(self).peers(peers).dataDir(dataDir).build();
    }

    /** A node outside any cluster, waiting to be added with {@code muster member add}. */
    public static NodeConfig joining(PeerSpec self, Path dataDir) {
        return builder(self).join(true).dataDir(dataDir).build();
    }

    public NodeConfig withElectionTimeoutMs(int ms) {
        return toBuilder().electionTimeoutMs(ms).build();
    }

    public NodeConfig withHistorySize(int size) {
        return toBuilder().historySize(size).build();
    }

    public NodeConfig withMetricsPort(int port) {
        return toBuilder().metricsPort(port).build();
    }

    public NodeConfig withHttpPort(int port) {
        return toBuilder().httpPort(port).build();
    }

    public NodeConfig withRestoreFrom(Path backup) {
        return toBuilder().restoreFrom(backup).build();
    }

    public NodeConfig withSnapshotIntervalSecs(int secs) {
        return toBuilder().snapshotIntervalSecs(secs).build();
    }

    public NodeConfig withLimits(Limits l) {
        return toBuilder().limits(l).build();
    }

    public NodeConfig withPeerTls(PeerTlsFiles files) {
        return toBuilder().peerTls(files).build();
    }

    /** Mutable form of a {@link NodeConfig}; {@link #build} validates. */
    public static final class Builder {
        private PeerSpec self;
        private List<PeerSpec> peers = List.of();
        private Path dataDir;
        private boolean join;
        private int electionTimeoutMs = DEFAULT_ELECTION_TIMEOUT_MS;
        private int snapshotIntervalSecs = DEFAULT_SNAPSHOT_INTERVAL_SECS;
        private int historySize = DEFAULT_HISTORY_SIZE;
        private boolean syncLog = true;
        private int metricsPort = DEFAULT_METRICS_PORT;
        private int healthThreads = DEFAULT_HEALTH_THREADS;
        private int httpPort = DEFAULT_HTTP_PORT;
        private Path restoreFrom;
        private Limits.Builder limits = Limits.builder();
        private boolean raftInlineDispatch = DEFAULT_RAFT_INLINE_DISPATCH;
        private PeerTlsFiles peerTls;
        private boolean aclEnabled;
        private Path aclBootstrapTokenFile;
        private PublicTls tls;
        private Map<String, String> dialRoutes = Map.of();

        private Builder(PeerSpec self) {
            this.self = self;
        }

        private Builder(NodeConfig c) {
            self = c.self;
            peers = c.peers;
            dataDir = c.dataDir;
            join = c.join;
            electionTimeoutMs = c.electionTimeoutMs;
            snapshotIntervalSecs = c.snapshotIntervalSecs;
            historySize = c.historySize;
            syncLog = c.syncLog;
            metricsPort = c.metricsPort;
            healthThreads = c.healthThreads;
            httpPort = c.httpPort;
            restoreFrom = c.restoreFrom;
            limits = c.limits.toBuilder();
            raftInlineDispatch = c.raftInlineDispatch;
            peerTls = c.peerTls;
            aclEnabled = c.aclEnabled;
            aclBootstrapTokenFile = c.aclBootstrapTokenFile;
            tls = c.tls;
            dialRoutes = c.dialRoutes;
        }

        public Builder self(PeerSpec value) {
            self = value;
            return this;
        }

        public Builder peers(List<PeerSpec> value) {
            peers = List.copyOf(value);
            return this;
        }

        public Builder dataDir(Path value) {
            dataDir = value;
            return this;
        }

        public Builder join(boolean value) {
            join = value;
            return this;
        }

        public Builder electionTimeoutMs(int value) {
            electionTimeoutMs = value;
            return this;
        }

        public Builder snapshotIntervalSecs(int value) {
            snapshotIntervalSecs = value;
            return this;
        }

        public Builder historySize(int value) {
            historySize = value;
            return this;
        }

        public Builder syncLog(boolean value) {
            syncLog = value;
            return this;
        }

        public Builder metricsPort(int value) {
            metricsPort = value;
            return this;
        }

        public Builder httpPort(int value) {
            httpPort = value;
            return this;
        }

        public Builder healthThreads(int value) {
            healthThreads = value;
            return this;
        }

        public Builder restoreFrom(Path value) {
            restoreFrom = value;
            return this;
        }

        public Builder limits(Limits value) {
            limits = value.toBuilder();
            return this;
        }

        public Builder raftInlineDispatch(boolean value) {
            raftInlineDispatch = value;
            return this;
        }

        /** Mutual TLS of the peer listener and the Raft transport; null = plaintext. */
        public Builder peerTls(PeerTlsFiles value) {
            peerTls = value;
            return this;
        }

        public Builder aclEnabled(boolean value) {
            aclEnabled = value;
            return this;
        }

        public Builder aclBootstrapTokenFile(Path value) {
            aclBootstrapTokenFile = value;
            return this;
        }

        /** TLS on the public gRPC port; null (the default) for plain text. */
        public Builder tls(PublicTls value) {
            tls = value;
            return this;
        }

        /** Raft or peer address of a member to the address to dial instead (a test's proxy). */
        public Builder dialRoutes(Map<String, String> value) {
            dialRoutes = Map.copyOf(value);
            return this;
        }

        /** The limits being built, to change one of them in place. */
        public Limits.Builder limits() {
            return limits;
        }

        public PeerSpec self() {
            return self;
        }

        public List<PeerSpec> peers() {
            return peers;
        }

        public boolean join() {
            return join;
        }

        public Path dataDir() {
            return dataDir;
        }

        public NodeConfig build() {
            return new NodeConfig(self, peers, dataDir, join, electionTimeoutMs, snapshotIntervalSecs, historySize,
                    syncLog, metricsPort, healthThreads, restoreFrom, limits.build(), raftInlineDispatch, peerTls,
                    aclEnabled, aclBootstrapTokenFile, tls, dialRoutes, httpPort);
        }
    }
}
