package io.muster.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Rendezvous ownership: deterministic, balanced, and only the leaving member's keys move. */
@UnitTest
class RendezvousOwnershipTest {

    private static final List<String> KEYS = IntStream.range(0, 3000).mapToObj(i -> "payments/p-" + i).toList();

    private static Map<String, String> owners(Set<String> members) {
        Map<String, String> out = new HashMap<>();
        KEYS.forEach(k -> out.put(k, Rendezvous.owner(k, members).orElseThrow()));
        return out;
    }

    @Test
    void ownerDoesNotDependOnMemberOrder() {
        for (String k : KEYS.subList(0, 200)) {
            assertThat(Rendezvous.owner(k, List.of("n1", "n2", "n3")))
                    .isEqualTo(Rendezvous.owner(k, List.of("n3", "n1", "n2")));
        }
    }

    @Test
    void ownerIsStableAcrossJvmsAndVersions() {
        // pinned values: every member of a cluster (any JVM, any build) must compute the same owner
        assertThat(Rendezvous.hash("")).isEqualTo(0xcbf29ce484222325L);
        assertThat(Rendezvous.hash("a")).isEqualTo(0xaf63dc4c8601ec8cL);
        Map<String, String> first = owners(Set.of("n1", "n2", "n3"));
        assertThat(owners(Set.of("n1", "n2", "n3"))).isEqualTo(first);
    }

    @Test
    void keysAreSpreadEvenly() {
        Map<String, Long> perMember = new HashMap<>();
        owners(Set.of("n1", "n2", "n3")).values().forEach(m -> perMember.merge(m, 1L, Long::sum));
        assertThat(perMember).hasSize(3);
        // 1000 expected each; 4 standard deviations is about 100
        perMember.values().forEach(n -> assertThat(n).isBetween(880L, 1120L));
    }

    @Test
    void whenAMemberLeavesOnlyItsKeysMove() {
        Map<String, String> before = owners(Set.of("n1", "n2", "n3"));
        Map<String, String> after = owners(Set.of("n1", "n3"));
        for (String k : KEYS) {
            if (!before.get(k).equals("n2")) {
                assertThat(after.get(k)).as(k).isEqualTo(before.get(k));
            } else {
                assertThat(after.get(k)).as(k).isIn("n1", "n3");
            }
        }
        long moved = KEYS.stream().filter(k -> !before.get(k).equals(after.get(k))).count();
        assertThat(moved).isEqualTo(KEYS.stream().filter(k -> before.get(k).equals("n2")).count());
    }

    @Test
    void whenAMemberJoinsItTakesKeysOnlyForItself() {
        Map<String, String> before = owners(Set.of("n1", "n2", "n3"));
        Map<String, String> after = owners(Set.of("n1", "n2", "n3", "n4"));
        for (String k : KEYS) {
            assertThat(after.get(k)).as(k).isIn(before.get(k), "n4");
        }
        long taken = after.values().stream().filter("n4"::equals).count();
        assertThat(taken).isBetween(650L, 850L);
    }

    @Test
    void noMembersNoOwner() {
        assertThat(Rendezvous.owner("payments/p-1", Set.of())).isEmpty();
    }
}
