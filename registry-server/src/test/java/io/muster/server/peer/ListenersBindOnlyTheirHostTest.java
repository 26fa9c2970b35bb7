package io.muster.server.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.server.RegistryNode;
import io.muster.server.config.HostPort;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every listener of a member bound to 127.0.0.1 refuses connections to another local address
 * (Linux routes all of 127/8 to the loopback interface, so a wildcard bind would accept them).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class ListenersBindOnlyTheirHostTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(1, c -> c.withElectionTimeoutMs(1000).withMetricsPort(0));

    @Test
    void aListenerBoundTo127001RefusesConnectionsTo127002() throws IOException {
        RegistryNode node = cluster.awaitLeader();
        Map<String, Integer> ports = Map.of(
                "raft", HostPort.parse("raft", node.config().self().raftAddress()).port(),
                "public gRPC", node.grpcPort(),
                "peer", node.peerPort(),
                "metrics", node.metricsPort());
        for (Map.Entry<String, Integer> p : ports.entrySet()) {
            assertThat(p.getValue()).as(p.getKey()).isPositive();
            try (Socket ok = new Socket()) {
                ok.connect(new InetSocketAddress("127.0.0.1", p.getValue()), 2_000);
                assertThat(ok.isConnected()).as("%s port on 127.0.0.1", p.getKey()).isTrue();
            }
            assertThatThrownBy(() -> {
                try (Socket other = new Socket()) {
                    other.connect(new InetSocketAddress("127.0.0.2", p.getValue()), 2_000);
                }
            }).as("%s port on 127.0.0.2", p.getKey()).isInstanceOf(ConnectException.class);
        }
    }
}
