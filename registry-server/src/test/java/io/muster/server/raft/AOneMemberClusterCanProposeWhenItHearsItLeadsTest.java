package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.internal.v1.Command;
import io.muster.internal.v1.DeregisterCmd;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.catalog.Catalog;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.FreePorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A one-member cluster elects itself inside jraft's start, before {@link RaftNode#start()} has
 * published its node. A leadership listener that proposes as soon as it hears it leads (the ACL
 * bootstrap does) must find a node that can propose: the announcement waits for the node
 * ({@link LeadershipGate}). Before the gate, whether the proposal failed as unavailable was a race
 * between jraft's state machine thread and the starting thread (it failed a fresh-clone run once);
 * {@link LeadershipCallbacksWaitForTheRaftNodeTest} is the exact check of the gate.
 */
@ClusterTest
class AOneMemberClusterCanProposeWhenItHearsItLeadsTest {

    @TempDir
    Path dir;

    @Test
    void theFirstLeaderStartOfAOneMemberClusterCanPropose() throws Exception {
        String address = "127.0.0.1:" + FreePorts.next();
        RaftNode raft = new RaftNode(new RaftNode.Options(address, List.of(address), dir, 300, 3600, true), new Catalog(),
                Runnable::run, () -> Runnable::run);
        AtomicReference<CompletableFuture<ApplyResult>> proposed = new AtomicReference<>();
        raft.addLeadershipListener(new LeadershipListener() {
            @Override
            public void onLeaderStart(long term) {
                // a deregister of nothing: applied as a no-op result, enough to show the node took it
                proposed.compareAndSet(null, raft.propose(Command.newBuilder().setNowMs(1)
                        .setDeregister(DeregisterCmd.newBuilder().setService("orders").setInstanceId("i1")).build()));
            }

            @Override
            public void onLeaderStop() {
            }
        });
        try {
            raft.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> proposed.get() != null);

            assertThat(proposed.get().get(10, TimeUnit.SECONDS)).isNotNull();
        } finally {
            raft.close();
        }
    }
}
