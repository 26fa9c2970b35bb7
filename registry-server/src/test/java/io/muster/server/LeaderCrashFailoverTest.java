package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.StatusRuntimeException;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.server.testing.Api;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes are separate JVMs; the leader is killed with SIGKILL while writers keep registering through
 * every node. A new leader is elected, writes continue, and no acknowledged registration is lost;
 * the killed node restarts and catches up.
 */
@ProcessTest
class LeaderCrashFailoverTest {

    // kept when the test fails: the members' logs are in it
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private static Thread startThread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void killingTheLeaderLosesNoAcknowledgedRegistration() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 3)) {
            String leader = cluster.awaitLeader(Duration.ofSeconds(60)).id();
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger seq = new AtomicInteger();
            AtomicInteger failures = new AtomicInteger();
            List<ProcessCluster.Member> peers = cluster.members();
            List<Thread> writers = peers.stream().map(p -> startThread("writer-" + p.id(), () -> {
                // each writer talks to one node; when that node is the killed one it moves on to the next
                int target = peers.indexOf(p);
                while (!stop.get()) {
                    String nodeId = peers.get(target).id();
                    String id = "i-" + seq.incrementAndGet();
                    Instance in = Api.instance("payments", id, 10_000 + (seq.get() % 50_000)).toBuilder().setLeaseTtlMs(120_000).build();
                    try {
                        RegistryGrpc.newBlockingStub(cluster.channel(nodeId)).withDeadlineAfter(5, TimeUnit.SECONDS)
                                .register(RegisterRequest.newBuilder().setInstance(in).build());
                        acknowledged.add(id);
                    } catch (StatusRuntimeException e) {
                        failures.incrementAndGet();
                        target = (target + 1) % peers.size();
                    }
                }
            })).toList();

            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= 200);
            int beforeKill = acknowledged.size();
            cluster.kill(leader);
            String newLeader = cluster.awaitLeader(Duration.ofSeconds(30)).id();
            assertThat(newLeader).isNotEqualTo(leader);
            // writes continue after the failover
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= beforeKill + 200);
            stop.set(true);
            for (Thread t : writers) {
                t.join(10_000);
            }

            String survivor = peers.stream().map(ProcessCluster.Member::id).filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            Set<String> present = Api.discover(cluster.channel(survivor), "payments", Consistency.LINEARIZABLE)
                    .getInstancesList().stream().map(Instance::getId).collect(Collectors.toSet());
            assertThat(present).containsAll(acknowledged);

            // the killed node comes back and catches up with the same state
            cluster.startNode(leader);
            Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                Set<String> onRestarted = Api.discover(cluster.channel(leader), "payments", Consistency.LOCAL)
                        .getInstancesList().stream().map(Instance::getId).collect(Collectors.toSet());
                assertThat(onRestarted).isEqualTo(present);
            });
        }
    }
}
