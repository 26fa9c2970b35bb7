package io.muster.server;

import io.muster.server.config.FileConfig;
import io.muster.server.config.NodeConfig;
import io.muster.server.config.PeerSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code muster-server}: runs one registry node until SIGTERM / SIGINT. */
@Command(name = "muster-server", mixinStandardHelpOptions = true, version = "muster 0.1.0",
        description = "Runs one Muster registry node.")
public final class Main implements Callable<Integer> {

    @Option(names = "--config", description = "YAML file with the settings below (flags win)")
    Path configFile;
    @Option(names = "--id", description = "Node id, e.g. n1")
    String id;
    @Option(names = "--raft", description = "Raft address host:port")
    String raft;
    @Option(names = "--grpc", description = "gRPC address host:port")
    String grpc;
    @Option(names = "--peers", split = ",", description = "Initial members: id=raftHost:port/grpcHost:port, comma separated, including this node")
    List<String> peers;
    @Option(names = "--data-dir", description = "Directory for the Raft log (RocksDB), metadata and snapshots")
    Path dataDir;
    @Option(names = "--join", description = "Start outside the cluster and wait for `muster member add`")
    Boolean join;
    @Option(names = "--election-timeout-ms", description = "Raft election timeout (default 1000)")
    Integer electionTimeoutMs;
    @Option(names = "--snapshot-interval-s", description = "Raft snapshot interval (default 3600)")
    Integer snapshotIntervalSecs;
    @Option(names = "--history-size", description = "Watch history kept in memory, in events (default 100000)")
    Integer historySize;
    @Option(names = "--max-watchers", description = "Watch streams served by this node (default 100000)")
    Integer maxWatchers;
    @Option(names = "--metrics-port", description = "HTTP port for /metrics, 0 = any free port, -1 = off (default -1)")
    Integer metricsPort;
    @Option(names = "--health-threads", description = "Threads running health probes (default 2)")
    Integer healthThreads;
    @Option(names = "--restore", description = "Backup file (muster snapshot save) loaded when this node first leads an empty cluster")
    Path restore;

    static {
        // bolt (jraft's transport) must log through plain slf4j
        System.setProperty("sofa.middleware.log.disable", "true");
        System.setProperty("com.google.protobuf.use_unsafe_pre22_gencode", "true");
    }

    private static <T> T pick(T flag, T file, T dflt) {
        return flag != null ? flag : file != null ? file : dflt;
    }

    NodeConfig toConfig() throws Exception {
        FileConfig f = configFile == null
                ? new FileConfig(null, null, null, null, null, null, null, null, null, null, null, null, null)
                : FileConfig.load(configFile);
        String nodeId = require("--id", pick(id, f.id(), null));
        String raftAddr = require("--raft", pick(raft, f.raft(), null));
        String grpcAddr = require("--grpc", pick(grpc, f.grpc(), null));
        List<String> peerSpecs = pick(peers, f.peers(), List.of());
        boolean joining = pick(join, f.join(), false);
        PeerSpec self = new PeerSpec(nodeId, raftAddr, grpcAddr);
        List<PeerSpec> parsed = peerSpecs.stream().map(PeerSpec::parse).toList();
        if (joining && peers != null && !peers.isEmpty()) {
            throw new IllegalArgumentException("--join: a joining node takes no --peers (it learns them when added)");
        }
        if (parsed.isEmpty() && !joining) {
            parsed = List.of(self); // a single-node cluster
        }
        Path dir = pick(dataDir, f.dataDir() == null ? null : Path.of(f.dataDir()), Path.of("data", nodeId));
        return new NodeConfig(self, parsed, dir, joining,
                pick(electionTimeoutMs, f.electionTimeoutMs(), 1000),
                pick(snapshotIntervalSecs, f.snapshotIntervalSecs(), 3600),
                pick(historySize, f.historySize(), 100_000),
                pick(maxWatchers, f.maxWatchers(), 100_000),
                true,
                pick(metricsPort, f.metricsPort(), -1),
                pick(healthThreads, f.healthThreads(), 2),
                pick(restore, f.restore() == null ? null : Path.of(f.restore()), null));
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
        } catch (IllegalArgumentException e) {
            System.err.println("muster-server: " + e.getMessage());
            return 2;
        }
        RegistryNode node = RegistryNode.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "muster-shutdown"));
        System.out.println("muster-server " + config.self().id() + " ready: grpc " + config.self().grpcAddress()
                + " raft " + config.self().raftAddress());
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
