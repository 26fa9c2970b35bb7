package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Instance;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Exact (fake clock): a member that froze or was cut off from the others keeps its connection open,
 * so only silence tells. A keep-alive still unanswered TTL/6 after it was sent gives the stream up,
 * and the keep-alive goes again at once to the next member, on a new stream, and renews the lease
 * there: not at the next periodic keep-alive (TTL/3), which with two cut-off members in a row came
 * after the lease had expired (issue 18, two followers isolated in a 5-member cluster).
 */
@UnitTest
class AnUnansweredKeepAliveStreamMovesToTheNextMemberTest {

    FakeClock clock = new FakeClock();
    FakeRegistry registry = new FakeRegistry();
    RegistryClient client;

    @AfterEach
    void stop() {
        client.close();
        registry.close();
    }

    @Test
    void theKeepAliveAfterAnUnansweredOneGoesToTheNextMember() throws Exception {
        registry.serve("m1:1").serve("m2:1");
        client = FakeRegistryClients.exact(clock, "m1:1", "m2:1");
        Registration reg = client.register(Instance.newBuilder().setService("orders").setId("o1").setHost("127.0.0.1").setPort(1)
                .setLeaseTtlMs(3000).build());
        clock.forwardTime(Duration.ofMillis(1000));
        assertThat(registry.keepAlivesReached).containsExactly("m1:1");
        assertThat(reg.millisSinceRenewal()).isZero();

        registry.keepAliveSilentOn.add("m1:1");
        clock.forwardTime(Duration.ofMillis(1000)); // sent to m1, unanswered
        assertThat(registry.keepAlivesReached).containsExactly("m1:1", "m1:1");
        assertThat(reg.millisSinceRenewal()).isEqualTo(1000);

        clock.forwardTime(Duration.ofMillis(499));
        assertThat(registry.keepAlivesReached).containsExactly("m1:1", "m1:1");
        clock.forwardTime(Duration.ofMillis(1)); // unanswered for TTL/6: sent again at once, m2 answers it
        assertThat(registry.keepAlivesReached).containsExactly("m1:1", "m1:1", "m2:1");
        assertThat(reg.millisSinceRenewal()).isZero();
        assertThat(reg.state()).isEqualTo(Registration.State.ACTIVE);

        clock.forwardTime(Duration.ofMillis(1000)); // and stays there, one keep-alive per TTL/3
        assertThat(registry.keepAlivesReached).containsExactly("m1:1", "m1:1", "m2:1", "m2:1");
    }

    @Test
    void twoSilentMembersInARowCostTwoAnswerTimeoutsNotTwoPeriods() throws Exception {
        registry.serve("m1:1").serve("m2:1").serve("m3:1");
        client = FakeRegistryClients.exact(clock, "m1:1", "m2:1", "m3:1");
        Registration reg = client.register(Instance.newBuilder().setService("orders").setId("o1").setHost("127.0.0.1").setPort(1)
                .setLeaseTtlMs(3000).build());
        clock.forwardTime(Duration.ofMillis(1000));
        assertThat(reg.millisSinceRenewal()).isZero();

        registry.keepAliveSilentOn.add("m1:1");
        registry.keepAliveSilentOn.add("m2:1");
        clock.forwardTime(Duration.ofMillis(1000)); // m1 silent
        clock.forwardTime(Duration.ofMillis(500)); // m2 silent
        assertThat(registry.keepAlivesReached).containsExactly("m1:1", "m1:1", "m2:1");
        clock.forwardTime(Duration.ofMillis(500)); // m3 renews: 2 s after the last renewal, inside the 3 s TTL
        assertThat(registry.keepAlivesReached).containsExactly("m1:1", "m1:1", "m2:1", "m3:1");
        assertThat(reg.millisSinceRenewal()).isZero();
        assertThat(reg.state()).isEqualTo(Registration.State.ACTIVE);
    }
}
