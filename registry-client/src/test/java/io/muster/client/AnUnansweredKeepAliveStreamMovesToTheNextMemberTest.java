package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Instance;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Exact (fake clock): a member that froze keeps its connection open, so only silence tells. A
 * keep-alive still unanswered when the next one is due (TTL/3 later) gives the stream up: the next
 * keep-alive goes to the next member, on a new stream, and renews the lease there.
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

        clock.forwardTime(Duration.ofMillis(1000)); // still unanswered when the next is due: m2 answers it
        assertThat(registry.keepAlivesReached).containsExactly("m1:1", "m1:1", "m2:1");
        assertThat(reg.millisSinceRenewal()).isZero();
        assertThat(reg.state()).isEqualTo(Registration.State.ACTIVE);

        clock.forwardTime(Duration.ofMillis(1000)); // and stays there
        assertThat(registry.keepAlivesReached).containsExactly("m1:1", "m1:1", "m2:1", "m2:1");
    }
}
