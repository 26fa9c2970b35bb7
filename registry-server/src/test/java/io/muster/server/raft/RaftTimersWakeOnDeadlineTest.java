package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.muster.server.catalog.Catalog;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.FreePorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running Raft node's timers (election, vote, step-down, snapshot) and its ReadIndex deadlines are
 * threads that sleep until something is due: no thread in the JVM runs one of jraft's hashed wheels,
 * which wake every millisecond whether anything is due or not. Fails if the node takes jraft's own
 * per-node timers (wheels) or a read takes jraft's ReadIndex timeout (a JVM-wide wheel).
 */
@ClusterTest
class RaftTimersWakeOnDeadlineTest {

    private static final String WHEEL = "com.alipay.sofa.jraft.util.timer.HashedWheelTimer";

    @TempDir
    Path dir;

    @Test
    void aLeaderThatServedAReadRunsNoTickingWheel() throws Exception {
        String address = "127.0.0.1:" + FreePorts.next();
        RaftNode raft = new RaftNode(new RaftNode.Options(address, List.of(address), dir, 300, 3600, true), new Catalog(),
                Runnable::run, () -> Runnable::run);
        try {
            raft.start();
            await().atMost(Duration.ofSeconds(30)).until(raft::isLeader);
            raft.readBarrier().get(10, TimeUnit.SECONDS);

            assertThat(threadsRunning(WHEEL)).isEmpty();
            // the timers the node did start (election as a follower, step-down as the leader) are
            // jraft's DefaultTimers, which sleep until the next deadline
            assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName))
                    .anySatisfy(name -> assertThat(name).startsWith("JRaft-Global-ElectionTimer"))
                    .anySatisfy(name -> assertThat(name).startsWith("JRaft-Global-StepDownTimer"));
        } finally {
            raft.close();
        }
    }

    private static List<String> threadsRunning(String classPrefix) {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().startsWith(classPrefix)))
                .map(Map.Entry::getKey).map(Thread::getName).toList();
    }
}
