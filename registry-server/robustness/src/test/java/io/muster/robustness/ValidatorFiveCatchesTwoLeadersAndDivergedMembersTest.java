package io.muster.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Validator 5 (never two leaders in one term; every member converges to the same catalog and
 * revision) on answers whose verdict is known: a validator that cannot fail proves nothing.
 */
@UnitTest
class ValidatorFiveCatchesTwoLeadersAndDivergedMembersTest {

    private static final Map<String, Map<String, String>> CATALOG = Map.of("s", Map.of("i1", "127.0.0.1:1"));

    @Test
    void twoMembersLeadingOneTermAreAViolation() {
        LeaderMonitor leaders = new LeaderMonitor(null);
        leaders.observed("n1", 3, true);
        leaders.observed("n2", 3, false);
        leaders.observed("n2", 4, true);
        assertThat(leaders.violations()).isEmpty();

        leaders.observed("n3", 4, true);

        assertThat(leaders.violations()).containsExactly("term 4 had leaders [n2, n3]");
        assertThat(leaders.terms()).isEqualTo(2);
        assertThat(leaders.polls()).isEqualTo(4);
    }

    @Test
    void oneLeaderAskedTwiceInItsTermIsNoViolation() {
        LeaderMonitor leaders = new LeaderMonitor(null);
        leaders.observed("n1", 7, true);
        leaders.observed("n1", 7, true);

        assertThat(leaders.violations()).isEmpty();
    }

    @Test
    void membersAtOneRevisionWithOneCatalogHaveConverged() {
        assertThat(Validators.converged(List.of(9L, 9L, 9L), List.of(CATALOG, Map.copyOf(CATALOG), CATALOG))).isEqualTo(CATALOG);
    }

    @Test
    void membersAtDifferentRevisionsOrWithDifferentCatalogsHaveNot() {
        Map<String, Map<String, String>> other = Map.of("s", Map.of("i1", "127.0.0.1:2"));

        assertThat(Validators.converged(List.of(9L, 8L, 9L), List.of(CATALOG, CATALOG, CATALOG))).isNull();
        assertThat(Validators.converged(List.of(9L, 9L, 9L), List.of(CATALOG, other, CATALOG))).isNull();
        assertThat(Validators.converged(List.of(), List.of())).isNull();
    }
}
