package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Instance;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Keep-alives every TTL/3; when none has been confirmed for more than half the TTL the handle says
 * AT_RISK (a TTL/3 before the lease can expire), and a confirmed keep-alive makes it ACTIVE again.
 */
@UnitTest
class LeaseAtRiskIsReportedBeforeItIsLostTest {

    FakeClock clock = new FakeClock();
    FakeRegistry registry = new FakeRegistry();
    RegistryClient client;

    @AfterEach
    void stop() {
        client.close();
        registry.close();
    }

    @Test
    void keepAlivesThatGoUnansweredPutTheLeaseAtRiskAndAnAnswerClearsIt() throws Exception {
        registry.serve("m1:1");
        client = FakeRegistryClients.exact(clock, "m1:1");
        List<String> seen = new CopyOnWriteArrayList<>();
        Registration reg = client.register(Instance.newBuilder().setService("orders").setId("o1").setHost("127.0.0.1").setPort(1)
                .setLeaseTtlMs(3000).build(), new Registration.Listener() {
                    @Override
                    public void onLeaseAtRisk(Duration sinceRenewal) {
                        seen.add("at risk after " + sinceRenewal.toMillis() + " ms");
                    }

                    @Override
                    public void onLeaseRenewed() {
                        seen.add("renewed");
                    }
                });
        assertThat(clock.pendingDelays()).containsExactly(Duration.ofMillis(1000));
        clock.forwardTime(Duration.ofMillis(1000));
        assertThat(reg.state()).isEqualTo(Registration.State.ACTIVE);

        registry.keepAliveSilent = true;
        clock.forwardTime(Duration.ofMillis(1000)); // renewed at 1 s: 1 s < 1.5 s
        assertThat(reg.state()).isEqualTo(Registration.State.ACTIVE);
        clock.forwardTime(Duration.ofMillis(1000)); // 2 s > 1.5 s, a second before expiry
        assertThat(reg.state()).isEqualTo(Registration.State.AT_RISK);
        assertThat(seen).containsExactly("at risk after 2000 ms");

        registry.keepAliveSilent = false;
        clock.forwardTime(Duration.ofMillis(1000));
        assertThat(reg.state()).isEqualTo(Registration.State.ACTIVE);
        assertThat(seen).containsExactly("at risk after 2000 ms", "renewed");
    }
}
