package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Failing over rotates through every member, however many times it happens. */
@UnitTest
class EndpointsFailoverTest {

    @Test
    void failoverCyclesThroughAllMembersForever() {
        try (Endpoints e = new Endpoints(List.of("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"), Endpoints::defaultChannel)) {
            StringBuilder order = new StringBuilder();
            for (int i = 0; i < 7; i++) {
                int idx = e.currentIndex();
                order.append(idx);
                e.failover(idx);
            }
            assertThat(order.toString()).isEqualTo("0120120");
        }
    }

    @Test
    void staleFailoverDoesNotSkipAHealthyMember() {
        try (Endpoints e = new Endpoints(List.of("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"), Endpoints::defaultChannel)) {
            e.failover(0);
            // a second caller that also saw member 0 fail must not move past member 1
            e.failover(0);
            assertThat(e.currentIndex()).isEqualTo(1);
        }
    }
}
