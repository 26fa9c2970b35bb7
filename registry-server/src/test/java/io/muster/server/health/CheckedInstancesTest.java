package io.muster.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.TcpCheck;
import io.muster.testkit.UnitTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The apply-thread filter in front of the health pool: which catalog events reach the health checker. */
@UnitTest
class CheckedInstancesTest {

    private static final HealthCheck TCP = HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()).build();

    private static Instance instance(String id, boolean checks) {
        Instance.Builder b = Instance.newBuilder().setService("orders").setId(id).setHost("127.0.0.1").setPort(8080);
        if (checks) {
            b.addChecks(TCP);
        }
        return b.build();
    }

    private long revision;

    private Event event(EventType type, Instance i) {
        return Event.newBuilder().setType(type).setRevision(++revision).setInstance(i).build();
    }

    private final CheckedInstances filter = new CheckedInstances();

    @Test
    void eventsOfInstancesThatNeverHadChecksStopAtTheFilter() {
        for (EventType t : List.of(EventType.REGISTERED, EventType.UPDATED, EventType.HEALTH_CHANGED,
                EventType.DEREGISTERED, EventType.EXPIRED)) {
            assertThat(filter.relevant(List.of(event(t, instance("a", false))))).as("%s", t).isEmpty();
        }
        assertThat(filter.size()).isZero();
    }

    @Test
    void everyEventOfAnInstanceWithChecksPasses() {
        Event registered = event(EventType.REGISTERED, instance("a", true));
        Event health = event(EventType.HEALTH_CHANGED, instance("a", true));
        Event expired = event(EventType.EXPIRED, instance("a", true));
        assertThat(filter.relevant(List.of(registered))).containsExactly(registered);
        assertThat(filter.relevant(List.of(health))).containsExactly(health);
        assertThat(filter.relevant(List.of(expired))).containsExactly(expired);
        assertThat(filter.size()).isZero();
    }

    @Test
    void reRegisteringWithoutChecksPassesOnceSoTheChecksStop() {
        filter.relevant(List.of(event(EventType.REGISTERED, instance("a", true))));
        Event lost = event(EventType.UPDATED, instance("a", false));
        assertThat(filter.relevant(List.of(lost))).containsExactly(lost);
        // from then on the instance is like any other without checks
        assertThat(filter.relevant(List.of(event(EventType.UPDATED, instance("a", false))))).isEmpty();
        assertThat(filter.relevant(List.of(event(EventType.DEREGISTERED, instance("a", false))))).isEmpty();
    }

    @Test
    void aMixedBatchKeepsOnlyTheRelevantEventsInOrder() {
        filter.relevant(List.of(event(EventType.REGISTERED, instance("b", true))));
        Event skip1 = event(EventType.REGISTERED, instance("x", false));
        Event keep1 = event(EventType.REGISTERED, instance("a", true));
        Event skip2 = event(EventType.UPDATED, instance("y", false));
        Event keep2 = event(EventType.DEREGISTERED, instance("b", false));
        assertThat(filter.relevant(List.of(skip1, keep1, skip2, keep2))).containsExactly(keep1, keep2);
        assertThat(filter.relevant(List.of(keep1, skip1))).containsExactly(keep1);
    }

    @Test
    void aResetRemembersExactlyTheInstancesWithChecks() {
        filter.relevant(List.of(event(EventType.REGISTERED, instance("old", true))));
        filter.reset(List.of(instance("a", true), instance("b", false)));
        assertThat(filter.size()).isEqualTo(1);
        assertThat(filter.relevant(List.of(event(EventType.DEREGISTERED, instance("old", false))))).isEmpty();
        Event aGone = event(EventType.DEREGISTERED, instance("a", false));
        assertThat(filter.relevant(List.of(aGone))).containsExactly(aGone);
    }
}
