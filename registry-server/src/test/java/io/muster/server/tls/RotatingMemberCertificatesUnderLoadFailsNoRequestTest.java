package io.muster.server.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.net.HostAndPort;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.RegisterRequest;
import io.muster.server.RegistryNode;
import io.muster.server.config.PeerSpec;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.TestPki;
import io.muster.server.config.PeerTlsFiles;
import io.muster.testkit.ClusterTest;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every member's peer certificate is rotated (new files of the same CA, written as {@code muster cert}
 * writes them) while clients keep registering, on the leader and through a follower (forwarded over
 * the peer listener, replicated over Raft): no call fails. After the rotation one follower is
 * restarted under the same load, so the members' connections to it are new handshakes with the new
 * certificates on both transports; it catches up, and still no call fails.
 */
@ClusterTest
class RotatingMemberCertificatesUnderLoadFailsNoRequestTest {

    private static final TestPki PKI = TestPki.create("muster-test-ca");

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3,
            c -> c.withElectionTimeoutMs(1000).withPeerTls(PKI.member(c.self().id())));

    @Test
    void noCallFailsWhileEveryMemberRotatesAndAFollowerReconnects() throws Exception {
        RegistryNode leader = cluster.awaitLeader();
        List<String> followers = cluster.ids().stream().filter(id -> !id.equals(leader.id())).toList();
        String entry = followers.get(0);      // takes client calls and forwards them
        String restarted = followers.get(1);  // reconnects after the rotation
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger calls = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        ExecutorService load = Executors.newFixedThreadPool(3);
        List<Future<?>> workers = new ArrayList<>();
        for (String target : List.of(entry, entry, leader.id())) {
            workers.add(load.submit(() -> {
                while (running.get()) {
                    int n = calls.incrementAndGet();
                    try {
                        Api.registry(cluster.channel(target)).withDeadlineAfter(10, TimeUnit.SECONDS)
                                .register(RegisterRequest.newBuilder().setInstance(Api.instance("rotation", "i" + n, 7000)).build());
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
            }));
        }
        Awaitility.await("calls before the rotation").atMost(Duration.ofSeconds(30)).until(() -> calls.get() >= 100);

        PeerTlsFiles probe = PKI.member("probe");
        Map<String, BigInteger> rotated = new HashMap<>();
        for (String id : cluster.ids()) {
            rotated.put(id, TestPki.serial(PKI.member(id))); // rewrites the member's files in place
        }
        Awaitility.await("every member presents its new certificate on both ports").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    for (String id : cluster.ids()) {
                        PeerSpec s = cluster.spec(id);
                        assertThat(TestPki.presentedCertificate(probe, HostAndPort.fromString(s.peerAddress())).getSerialNumber())
                                .as("%s peer listener", id).isEqualTo(rotated.get(id));
                        assertThat(TestPki.presentedCertificate(probe, HostAndPort.fromString(s.raftAddress())).getSerialNumber())
                                .as("%s raft port", id).isEqualTo(rotated.get(id));
                    }
                });
        int atRotation = calls.get();
        Awaitility.await("calls after the rotation").atMost(Duration.ofSeconds(30)).until(() -> calls.get() >= atRotation + 100);

        // new handshakes between members, both ways, with the rotated certificates only
        cluster.stopNode(restarted);
        cluster.startNode(restarted);
        int atRestart = calls.get();
        Awaitility.await("calls after the restart").atMost(Duration.ofSeconds(30)).until(() -> calls.get() >= atRestart + 100);

        running.set(false);
        for (Future<?> w : workers) {
            w.get(30, TimeUnit.SECONDS);
        }
        load.shutdown();
        assertThat(failures).as("failed calls out of %d", calls.get()).isEmpty();
        int registered = Api.discover(cluster.channel(leader.id()), "rotation", Consistency.LINEARIZABLE).getInstancesCount();
        assertThat(registered).isEqualTo(calls.get());
        Awaitility.await(restarted + " caught up over the new handshakes").atMost(Duration.ofSeconds(20))
                .until(() -> Api.discover(cluster.channel(restarted), "rotation", Consistency.LINEARIZABLE).getInstancesCount() == registered);
    }
}
