package io.muster.server;

import io.muster.api.Version;
import io.muster.server.config.FileConfig;
import io.muster.server.config.Limits;
import io.muster.server.config.NodeConfig;
import io.muster.server.config.PeerSpec;
import io.muster.api.tls.TlsFiles;
import io.muster.server.config.PeerTlsFiles;
import io.muster.server.config.PublicTls;
import io.muster.server.raft.BoltDialRoutes;
import io.muster.server.raft.BoltDispatch;
import io.muster.server.raft.RaftLogRocksDb;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code muster-server}: runs one registry node until SIGTERM / SIGINT. */
@Command(name = "muster-server", mixinStandardHelpOptions = true, version = "muster " + Version.VERSION,
        description = "Runs one Muster registry node.")
public final class Main implements Callable<Integer> {

    @Option(names = "--config", description = "YAML file with the settings below, keys named like the flags (flags win)")
    Path configFile;
    @Option(names = "--id", description = "Node id, e.g. n1")
    String id;
    @Option(names = "--raft", description = "Raft address host:port (bound to that host only)")
    String raft;
    @Option(names = "--grpc", description = "Client gRPC address host:port (bound to that host only)")
    String grpc;
    @Option(names = "--peer", description = "Member-to-member gRPC address host:port (forwarded writes, liveness, "
            + "internal proposals; bound to that host only, never for clients)")
    String peer;
    @Option(names = "--peers", split = ",", description = "Initial members: id=raftHost:port/grpcHost:port/peerHost:port, "
            + "comma separated, including this node")
    List<String> peers;
    @Option(names = "--data-dir", description = "Directory for the Raft log (RocksDB), metadata and snapshots (default data/<id>)")
    Path dataDir;
    @Option(names = "--join", description = "Start outside the cluster and wait for `muster member add`")
    Boolean join;
    @Option(names = "--election-timeout-ms", description = "Raft election timeout (default " + NodeConfig.DEFAULT_ELECTION_TIMEOUT_MS + ")")
    Integer electionTimeoutMs;
    @Option(names = "--snapshot-interval-s", description = "Raft snapshot interval (default " + NodeConfig.DEFAULT_SNAPSHOT_INTERVAL_SECS + ")")
    Integer snapshotIntervalSecs;
    @Option(names = "--history-size", description = "Watch history kept in memory, in events (default " + NodeConfig.DEFAULT_HISTORY_SIZE + ")")
    Integer historySize;
    @Option(names = "--metrics-port", description = "HTTP port for /metrics, 0 = any free port, -1 = off (default " + NodeConfig.DEFAULT_METRICS_PORT + ")")
    Integer metricsPort;
    @Option(names = "--http-port", description = "Port of the HTTP/JSON API (docs/api.md), 0 = off (default " + NodeConfig.DEFAULT_HTTP_PORT + ")")
    Integer httpPort;
    @Option(names = "--health-threads", description = "Threads running health probes (default " + NodeConfig.DEFAULT_HEALTH_THREADS + ")")
    Integer healthThreads;
    @Option(names = "--restore", description = "Backup file (muster snapshot save) loaded when this node first leads an empty cluster")
    Path restore;
    @Option(names = "--max-message-bytes", description = "Largest inbound gRPC message (default " + Limits.DEFAULT_MAX_MESSAGE_BYTES + ")")
    Integer maxMessageBytes;
    @Option(names = "--max-instance-bytes", description = "Largest serialized instance, tags, metadata and checks included (default " + Limits.DEFAULT_MAX_INSTANCE_BYTES + ")")
    Integer maxInstanceBytes;
    @Option(names = "--max-instances-per-service", description = "Instances one service may hold (default " + Limits.DEFAULT_MAX_INSTANCES_PER_SERVICE + ")")
    Integer maxInstancesPerService;
    @Option(names = "--max-instances", description = "Instances the whole catalog may hold (default " + Limits.DEFAULT_MAX_INSTANCES + ")")
    Integer maxInstances;
    @Option(names = "--max-watchers", description = "Watch streams served by this node (default " + Limits.DEFAULT_MAX_WATCHERS + ")")
    Integer maxWatchers;
    @Option(names = "--max-watchers-per-connection", description = "Watch streams on one client connection (default " + Limits.DEFAULT_MAX_WATCHERS_PER_CONNECTION + ")")
    Integer maxWatchersPerConnection;
    @Option(names = "--max-keep-alive-streams-per-connection", description = "Keep-alive streams on one client connection (default " + Limits.DEFAULT_MAX_KEEP_ALIVE_STREAMS_PER_CONNECTION + ")")
    Integer maxKeepAliveStreamsPerConnection;
    @Option(names = "--max-concurrent-calls-per-connection", description = "Concurrent calls (HTTP/2 streams) on one connection (default " + Limits.DEFAULT_MAX_CONCURRENT_CALLS_PER_CONNECTION + ")")
    Integer maxConcurrentCallsPerConnection;
    @Option(names = "--max-watch-services", description = "Services named in one Watch request (default " + Limits.DEFAULT_MAX_WATCH_SERVICES + ")")
    Integer maxWatchServices;
    @Option(names = "--permit-keep-alive-time-ms", description = "Most frequent client keep-alive ping allowed (default " + Limits.DEFAULT_PERMIT_KEEP_ALIVE_TIME_MS + ")")
    Long permitKeepAliveTimeMs;
    @Option(names = "--max-connection-idle-ms", description = "Close a connection without calls after this long, 0 = never (default " + Limits.DEFAULT_MAX_CONNECTION_IDLE_MS + ")")
    Long maxConnectionIdleMs;
    @Option(names = "--raft-inline-dispatch", negatable = true, description = "Process-wide: bolt (the Raft transport) hands "
            + "Raft responses and request batches on from its I/O threads, not through its shared pool; "
            + "--no-raft-inline-dispatch keeps bolt's defaults (default " + NodeConfig.DEFAULT_RAFT_INLINE_DISPATCH + ")")
    Boolean raftInlineDispatch;
    @Option(names = "--acl-enabled", negatable = true, description = "Every call on the public port needs a token "
            + "(docs/security.md); the first leader creates the bootstrap token (default false)")
    Boolean aclEnabled;
    @Option(names = "--acl-bootstrap-token-file", description = "Where the first leader with ACLs on writes the bootstrap "
            + "token, owner-only (default <data-dir>/acl-bootstrap-token)")
    Path aclBootstrapTokenFile;

    @Option(names = "--peer-tls-cert", description = "PEM certificate of this member (a member certificate of the cluster CA, "
            + "muster cert create-member): turns on mutual TLS on the peer listener and the Raft transport; "
            + "with --peer-tls-key and --peer-tls-ca; re-read when the files change")
    Path peerTlsCert;
    @Option(names = "--peer-tls-key", description = "PEM private key of --peer-tls-cert")
    Path peerTlsKey;
    @Option(names = "--peer-tls-ca", description = "PEM certificate of the cluster CA: the peer listener and the Raft port "
            + "accept only member certificates it signed, and members dial only such members")
    Path peerTlsCa;
    @Option(names = "--tls-cert", description = "PEM certificate of the public gRPC port: turns TLS on there (with --tls-key); "
            + "re-read when the file changes")
    Path tlsCert;
    @Option(names = "--tls-key", description = "PEM (PKCS#8) private key of --tls-cert; re-read when the file changes")
    Path tlsKey;
    @Option(names = "--tls-client-ca", description = "PEM CA that signs the client certificates the public port accepts "
            + "(implies --tls-client-auth require unless set)")
    Path tlsClientCa;
    @Option(names = "--tls-client-auth", description = "Client certificates on the public port: none, optional or require "
            + "(default none; require when --tls-client-ca is set)")
    String tlsClientAuth;
    @Option(names = "--http-tls-client-auth", description = "Client certificates on the HTTPS HTTP/JSON API port (and so the "
            + "console): none, optional or require (default: as --tls-client-auth); none lets a browser in with only the CA "
            + "trusted, the API's tokens still required")
    String httpTlsClientAuth;
    @Option(names = "--dial-route", split = ",", description = "For fault-injection tests: memberAddress=dialAddress, "
            + "comma separated; this member dials dialAddress (a proxy) to reach the member whose Raft or peer "
            + "address is memberAddress, which stays that member's identity. The Raft part is process-wide")
    List<String> dialRoutes;

    static {
        // bolt (jraft's transport) must log through plain slf4j
        System.setProperty("sofa.middleware.log.disable", "true");
        // jraft's message classes were generated by protoc 3.x; protobuf 4 runs them through this escape
        // hatch only, and warns once per type without it. An embedder of RegistryNode sets it too
        // (docs/operations.md, "Embedding a member"); JraftGencodeStillNeedsThePre22EscapeHatchTest
        // fails when jraft's code no longer needs it or protobuf no longer offers it.
        System.setProperty("com.google.protobuf.use_unsafe_pre22_gencode", "true");
    }

    /**
     * What this process changes for every library user in the JVM, done here and nowhere else
     * (docs/architecture.md, "Process-wide settings"), before the node starts.
     */
    static void applyProcessWide(NodeConfig config) {
        // smaller RocksDB buffers for the Raft log than jraft's database-sized defaults (raft/RaftLogRocksDb)
        RaftLogRocksDb.install();
        if (config.raftInlineDispatch()) {
            // bolt hands a batch of Raft frames read in one go to its I/O thread's caller, not to its
            // shared default pool (read by bolt on every dispatch), and a response straight to the
            // caller's callback executor: one hand-off less per round trip (raft/BoltDispatch)
            System.setProperty("bolt.rpc.dispatch-msg-list-in-default-executor", "false");
            BoltDispatch.install();
        }
        if (!config.dialRoutes().isEmpty()) {
            // bolt resolves addresses through one JVM-wide table (raft/BoltDialRoutes)
            BoltDialRoutes.install(config.dialRoutes());
        }
    }

    private static <T> T pick(T flag, T file) {
        return flag != null ? flag : file;
    }

    NodeConfig toConfig() throws Exception {
        FileConfig f = configFile == null ? FileConfig.EMPTY : FileConfig.load(configFile);
        String nodeId = require("--id", pick(id, f.id()));
        PeerSpec self = new PeerSpec(nodeId, require("--raft", pick(raft, f.raft())), require("--grpc", pick(grpc, f.grpc())),
                require("--peer", pick(peer, f.peer())));
        boolean joining = Boolean.TRUE.equals(pick(join, f.join()));
        List<String> peerSpecs = pick(peers, f.peers());
        if (joining && peerSpecs != null && !peerSpecs.isEmpty()) {
            throw new IllegalArgumentException("--join: a joining node takes no --peers (it learns them when added)");
        }
        List<PeerSpec> parsed = peerSpecs == null ? List.of() : peerSpecs.stream().map(PeerSpec::parse).toList();
        if (parsed.isEmpty() && !joining) {
            parsed = List.of(self); // a single-node cluster
        }
        NodeConfig.Builder b = NodeConfig.builder(self).peers(parsed).join(joining).dataDir(Path.of("data", nodeId));
        f.applyTo(b);
        // flags last
        FileConfig.set(dataDir, b::dataDir);
        FileConfig.set(electionTimeoutMs, b::electionTimeoutMs);
        FileConfig.set(snapshotIntervalSecs, b::snapshotIntervalSecs);
        FileConfig.set(historySize, b::historySize);
        FileConfig.set(metricsPort, b::metricsPort);
        FileConfig.set(httpPort, b::httpPort);
        FileConfig.set(healthThreads, b::healthThreads);
        FileConfig.set(restore, b::restoreFrom);
        FileConfig.set(raftInlineDispatch, b::raftInlineDispatch);
        b.peerTls(PeerTlsFiles.of(pick(peerTlsCert, FileConfig.path(f.peerTlsCert())),
                pick(peerTlsKey, FileConfig.path(f.peerTlsKey())), pick(peerTlsCa, FileConfig.path(f.peerTlsCa()))));
        FileConfig.set(aclEnabled, b::aclEnabled);
        FileConfig.set(aclBootstrapTokenFile, b::aclBootstrapTokenFile);
        b.tls(PublicTls.of(pick(tlsCert, FileConfig.path(f.tlsCert())), pick(tlsKey, FileConfig.path(f.tlsKey())),
                pick(tlsClientCa, FileConfig.path(f.tlsClientCa())), pick(tlsClientAuth, f.tlsClientAuth()),
                pick(httpTlsClientAuth, f.httpTlsClientAuth())));
        if (dialRoutes != null) {
            b.dialRoutes(parseDialRoutes(dialRoutes));
        }
        Limits.Builder l = b.limits();
        FileConfig.set(maxMessageBytes, l::maxMessageBytes);
        FileConfig.set(maxInstanceBytes, l::maxInstanceBytes);
        FileConfig.set(maxInstancesPerService, l::maxInstancesPerService);
        FileConfig.set(maxInstances, l::maxInstances);
        FileConfig.set(maxWatchers, l::maxWatchers);
        FileConfig.set(maxWatchersPerConnection, l::maxWatchersPerConnection);
        FileConfig.set(maxKeepAliveStreamsPerConnection, l::maxKeepAliveStreamsPerConnection);
        FileConfig.set(maxConcurrentCallsPerConnection, l::maxConcurrentCallsPerConnection);
        FileConfig.set(maxWatchServices, l::maxWatchServices);
        FileConfig.set(permitKeepAliveTimeMs, l::permitKeepAliveTimeMs);
        FileConfig.set(maxConnectionIdleMs, l::maxConnectionIdleMs);
        return b.build();
    }

    /**
     * The TLS files, read and checked before anything starts: each problem (missing, unreadable, not
     * PEM, a key that is not the certificate's, a certificate not valid now, a peer certificate without
     * a member identity) is one message naming the flag and the file.
     */
    static void checkTlsFiles(NodeConfig config, java.time.Instant now) {
        if (config.tls() != null) {
            TlsFiles.checkPair("--tls-cert", config.tls().cert(), "--tls-key", config.tls().key(), now);
            if (config.tls().clientCa() != null) {
                TlsFiles.checkCa("--tls-client-ca", config.tls().clientCa(), now);
            }
        }
        if (config.peerTls() != null) {
            java.security.cert.X509Certificate[] own = TlsFiles.checkPair("--peer-tls-cert", config.peerTls().certificate(),
                    "--peer-tls-key", config.peerTls().key(), now);
            io.muster.server.tls.PeerTls.checkOwnCertificate("--peer-tls-cert", config.peerTls().certificate(), own);
            TlsFiles.checkCa("--peer-tls-ca", config.peerTls().ca(), now);
        }
    }

    private static java.util.Map<String, String> parseDialRoutes(List<String> entries) {
        java.util.Map<String, String> routes = new java.util.LinkedHashMap<>();
        for (String e : entries) {
            int eq = e.indexOf('=');
            if (eq <= 0 || eq == e.length() - 1) {
                throw new IllegalArgumentException("--dial-route: '" + e + "' (expected: memberHost:port=dialHost:port)");
            }
            routes.put(e.substring(0, eq), e.substring(eq + 1));
        }
        return routes;
    }

    private static String require(String flag, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(flag + ": missing (set the flag or the key in --config)");
        }
        return value;
    }

    @Override
    public Integer call() throws Exception {
        NodeConfig config;
        try {
            config = toConfig();
            checkTlsFiles(config, java.time.Instant.now());
        } catch (IllegalArgumentException e) {
            System.err.println("muster-server: " + e.getMessage());
            return 2;
        }
        applyProcessWide(config);
        RegistryNode node;
        try {
            node = RegistryNode.start(config);
        } catch (IllegalArgumentException e) {
            // bad input found only once the member builds on it (a peer certificate without a member
            // identity or of another CA): one line, as above
            System.err.println("muster-server: " + e.getMessage());
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "muster-shutdown"));
        System.out.println("muster-server " + config.self().id() + " ready: grpc" + (config.tls() == null ? " " : " (tls) ") + config.self().grpcAddress()
                + " raft " + config.self().raftAddress() + " peer " + config.self().peerAddress()
                + (config.peerTls() != null ? " (peer and raft: mutual TLS)" : ""));
        stopped.await();
        return 0;
    }

    public static void main(String[] args) {
        int code = new CommandLine(new Main()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}
