package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterResponse;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The registration handle keeps its lease, re-registers a lost one, and deregisters on close. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class RegistrationHandleTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);
    RegistryClient client;

    @BeforeAll
    void start() {
        client = RegistryClient.builder(cluster.targets()).build();
    }

    @AfterAll
    void stop() {
        client.close();
    }

    private boolean present(String service, String id) {
        return client.discover(service, DiscoverFilter.all()).stream().anyMatch(i -> i.getId().equals(id));
    }

    @Test
    void handleKeepsAShortLeaseAliveAndDeregistersOnClose() {
        Registration reg = client.register(Instance.newBuilder().setService("keep").setHost("127.0.0.1").setPort(7777).setLeaseTtlMs(1000).build());
        assertThat(reg.instance().getId()).isEqualTo("127.0.0.1:7777");
        Awaitility.await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> present("keep", "127.0.0.1:7777"));
        reg.close();
        assertThat(present("keep", "127.0.0.1:7777")).isFalse();
    }

    @Test
    void lostLeaseIsRegisteredAgain() {
        List<Long> lost = new CopyOnWriteArrayList<>();
        List<RegisterResponse> registered = new CopyOnWriteArrayList<>();
        Registration reg = client.register(Instance.newBuilder().setService("phoenix").setId("p1").setHost("127.0.0.1").setPort(7000)
                .setLeaseTtlMs(1500).build(), new Registration.Listener() {
                    @Override
                    public void onLeaseLost(long leaseId) {
                        lost.add(leaseId);
                    }

                    @Override
                    public void onRegistered(RegisterResponse response) {
                        registered.add(response);
                    }
                });
        long firstLease = reg.leaseId();
        // someone else removes it (as an expiry during a long partition would)
        client.deregister("phoenix", "p1");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> registered.size() == 2 && present("phoenix", "p1"));
        assertThat(lost).containsExactly(firstLease);
        assertThat(reg.leaseId()).isNotEqualTo(firstLease);
        reg.close();
    }

    @Test
    void builderRejectsBadTargets() {
        assertThatThrownBy(() -> RegistryClient.builder("nohost")).hasMessageContaining("target: 'nohost'");
        assertThatThrownBy(() -> RegistryClient.builder("h:70000")).hasMessage("target: 'h:70000' (expected: " + io.muster.api.HostPorts.EXPECTED + ")");
        assertThatThrownBy(() -> RegistryClient.builder(List.of())).hasMessageContaining("targets: empty");
    }

    @Test
    void deadMemberIsSkipped() {
        // the first target is a closed port: calls fail over to the live members
        String dead = "127.0.0.1:" + io.muster.testkit.FreePorts.next();
        try (RegistryClient c = RegistryClient.builder(dead + "," + cluster.targets()).build()) {
            assertThat(c.registerOnce(Instance.newBuilder().setService("skip").setId("s").setHost("h").setPort(1).build()).getRevision()).isPositive();
            assertThat(c.discover("skip", DiscoverFilter.all())).hasSize(1);
        }
    }
}
