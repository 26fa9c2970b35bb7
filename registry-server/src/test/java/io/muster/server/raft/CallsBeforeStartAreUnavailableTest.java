package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.server.catalog.Catalog;
import io.muster.testkit.UnitTest;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member's gRPC server starts before its Raft node: calls that arrive in between must fail as
 * UNAVAILABLE (RaftUnavailableException, so clients fail over), never with a NullPointerException
 * (INTERNAL).
 */
@UnitTest
class CallsBeforeStartAreUnavailableTest {

    @TempDir
    Path dir;

    private RaftNode notStarted() {
        RaftNode.Options options = new RaftNode.Options("127.0.0.1:1", List.of("127.0.0.1:1"), dir, 1000, 3600, true);
        return new RaftNode(options, new Catalog(), Runnable::run, () -> Runnable::run);
    }

    @Test
    void adminCallsBeforeTheRaftNodeStartsAreUnavailable() {
        RaftNode raft = notStarted();
        assertThatThrownBy(raft::peers).isInstanceOf(RaftUnavailableException.class);
        assertThatThrownBy(() -> raft.addPeer("127.0.0.1:2")).isInstanceOf(RaftUnavailableException.class);
        assertThatThrownBy(() -> raft.removePeer("127.0.0.1:2")).isInstanceOf(RaftUnavailableException.class);
        assertThatThrownBy(() -> raft.transferLeadership(null)).isInstanceOf(RaftUnavailableException.class);
        assertThatThrownBy(raft::snapshot).isInstanceOf(RaftUnavailableException.class);
        assertThat(raft.alivePeers()).isEmpty();
        assertThat(raft.leaderRaftAddress()).isNull();
    }

    @Test
    void readsAndWritesBeforeTheRaftNodeStartsFailWithoutCrashing() {
        RaftNode raft = notStarted();
        assertThatThrownBy(() -> raft.readBarrier().get(5, TimeUnit.SECONDS))
                .cause().isInstanceOf(RaftUnavailableException.class);
        assertThatThrownBy(() -> raft.propose(io.muster.internal.v1.Command.getDefaultInstance()).join())
                .isInstanceOf(CompletionException.class).cause().isInstanceOf(NotLeaderException.class);
    }
}
