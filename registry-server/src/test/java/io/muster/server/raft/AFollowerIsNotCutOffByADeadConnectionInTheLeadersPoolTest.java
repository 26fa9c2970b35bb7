package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.alipay.remoting.Connection;
import com.alipay.remoting.Url;
import com.alipay.remoting.rpc.RpcAddressParser;
import com.alipay.remoting.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.impl.AbstractClientService;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcClient;
import io.muster.server.catalog.Catalog;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.FreePorts;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long robustness run's cycle 14 (seed -529647832035743326, docs/robustness.md): the leader was
 * killed, the new leader's first connections to it met a proxy that accepted and reset them (the
 * member was down), and one of them lost bolt's creation race: its close handler found the pool
 * still being created and closed it on its own, then the creation put the dead connection into the
 * pool. bolt never rebuilds such a pool (its lookup finds no live connection, jraft's
 * {@code checkConnection(createIfAbsent)} finds the pool present and creates nothing) and drops it
 * only after 10 minutes; the member, restarted 10 s later, stayed without a leader.
 *
 * <p>The race itself is microseconds wide; this test puts the leader's pool for the follower into the
 * state the race leaves (one dead connection) through bolt's own connection manager, then restarts
 * the follower. Without the leader's reset of stale peer connections ({@link StalePeerConnections})
 * the follower is never replicated to again.
 */
@ClusterTest
class AFollowerIsNotCutOffByADeadConnectionInTheLeadersPoolTest {

    private static final int ELECTION_TIMEOUT_MS = 300;

    @TempDir
    Path dir;

    private final Map<String, RaftNode> nodes = new LinkedHashMap<>();

    @AfterEach
    void stop() {
        nodes.values().forEach(RaftNode::close);
    }

    @Test
    void aRestartedFollowerFollowsWithinAFewElectionTimeouts() throws Exception {
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            addresses.add("127.0.0.1:" + FreePorts.next());
        }
        for (String a : addresses) {
            start(a, addresses);
        }
        RaftNode leader = await().atMost(Duration.ofSeconds(30))
                .until(() -> nodes.values().stream().filter(RaftNode::isLeader).findFirst().orElse(null), n -> n != null);
        String follower = addresses.stream().filter(a -> !a.equals(leader.raftAddress())).findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> leader.alivePeers().contains(follower));

        nodes.remove(follower).close();
        await().atMost(Duration.ofSeconds(10)).until(() -> !leader.alivePeers().contains(follower));

        // what the lost race leaves: the follower's pool holds one connection, and it is dead
        RpcClient bolt = ((BoltRpcClient) ((AbstractClientService) leader.raftClient()).getRpcClient()).getRpcClient();
        Url url = new RpcAddressParser().parse(follower);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            if (!bolt.getConnectionManager().getAll().containsKey(url.getUniqueKey())) {
                // refused while the leader's own attempt to create the pool runs: the next round adds it
                EmbeddedChannel dead = new EmbeddedChannel();
                dead.close();
                bolt.getConnectionManager().add(new Connection(dead, url), url.getUniqueKey());
            }
            return bolt.getConnectionManager().count(url.getUniqueKey()) == 1
                    && bolt.getConnectionManager().get(url.getUniqueKey()) == null;
        });
        // bolt's own view: a pool is there, so checkConnection(createIfAbsent) creates nothing
        assertThat(bolt.checkConnection(follower, true, true)).isFalse();

        start(follower, addresses);

        // jraft retries every half election timeout; the reset waits three
        await("the leader replicates to the restarted follower").atMost(Duration.ofMillis(10L * ELECTION_TIMEOUT_MS))
                .until(() -> leader.isLeader() && leader.alivePeers().contains(follower)
                        && leader.raftAddress().equals(nodes.get(follower).leaderRaftAddress()));
        assertThat(leader.peerConnectionResets()).isPositive();
    }

    private void start(String address, List<String> peers) throws Exception {
        RaftNode raft = new RaftNode(new RaftNode.Options(address, peers, dir.resolve(address.replace(':', '_')), ELECTION_TIMEOUT_MS,
                3600, false), new Catalog(), Runnable::run, () -> Runnable::run);
        nodes.put(address, raft);
        raft.start();
    }
}
