package io.muster.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.robustness.LinearizabilityChecker.Verdict;
import io.muster.testkit.UnitTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The checker itself, on histories whose answer is known (times in ms, as nanos). */
@UnitTest
class LinearizabilityCheckerTest {

    private final LinearizabilityChecker checker = new LinearizabilityChecker(1_000_000);

    private static Op reg(String id, int port, long from, long to) {
        return Op.register(0, "s", id, port, from, to, Op.Outcome.OK);
    }

    private static Op regUnknown(String id, int port, long from) {
        return Op.register(0, "s", id, port, from, from + 1, Op.Outcome.UNKNOWN);
    }

    private static Op dereg(String id, long from, long to) {
        return Op.deregister(0, "s", id, from, to, Op.Outcome.OK);
    }

    private static Op read(long from, long to, Map<String, Integer> seen) {
        return Op.discover(1, "s", from, to, seen);
    }

    private Verdict verdict(Op... ops) {
        return checker.check(List.of(ops)).verdict();
    }

    @Test
    void aReadAfterAnAcknowledgedRegisterSeesIt() {
        assertThat(verdict(reg("a", 1, 0, 10), read(20, 30, Map.of("a", 1)))).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void aReadAfterAnAcknowledgedRegisterThatMissesItIsAViolation() {
        assertThat(verdict(reg("a", 1, 0, 10), read(20, 30, Map.of()))).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void aReadConcurrentWithARegisterMaySeeItOrNot() {
        assertThat(verdict(reg("a", 1, 0, 30), read(10, 20, Map.of()))).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(verdict(reg("a", 1, 0, 30), read(10, 20, Map.of("a", 1)))).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void aStaleReadOfAnOverwrittenPortIsAViolation() {
        assertThat(verdict(reg("a", 1, 0, 10), reg("a", 2, 20, 30), read(40, 50, Map.of("a", 1))))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void twoReadsMayNotSeeAConcurrentWriteInOppositeOrders() {
        // the write overlaps both reads, but the second read starts after the first ended: once seen, always seen
        assertThat(verdict(reg("a", 1, 0, 100), read(10, 20, Map.of("a", 1)), read(30, 40, Map.of())))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(verdict(reg("a", 1, 0, 100), read(10, 20, Map.of()), read(30, 40, Map.of("a", 1))))
                .isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void anUnknownWriteMayTakeEffectLateOrNeverButNotHalfway() {
        assertThat(verdict(regUnknown("a", 1, 0), read(20, 30, Map.of()))).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(verdict(regUnknown("a", 1, 0), read(20, 30, Map.of()), read(40, 50, Map.of("a", 1))))
                .isEqualTo(Verdict.LINEARIZABLE);
        // applied, then gone with no deregister: not possible
        assertThat(verdict(regUnknown("a", 1, 0), read(20, 30, Map.of("a", 1)), read(40, 50, Map.of())))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
        // a port nobody wrote
        assertThat(verdict(regUnknown("a", 1, 0), read(20, 30, Map.of("a", 7)))).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void aDeregisterRemovesAndARepeatIsANoOp() {
        assertThat(verdict(reg("a", 1, 0, 10), dereg("a", 20, 30), dereg("a", 40, 50), read(60, 70, Map.of())))
                .isEqualTo(Verdict.LINEARIZABLE);
        assertThat(verdict(reg("a", 1, 0, 10), dereg("a", 20, 30), read(60, 70, Map.of("a", 1))))
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void anUnknownWriteThatNeverLandedLeavesTheHistoryLinearizable() {
        assertThat(verdict(reg("a", 1, 0, 10), regUnknown("a", 2, 15), read(20, 30, Map.of("a", 1)), read(40, 50, Map.of("a", 1))))
                .isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void aViolationNamesTheLongestLinearizablePrefix() {
        LinearizabilityChecker.Result r = checker.check(List.of(reg("a", 1, 0, 10), read(20, 30, Map.of())));
        assertThat(r.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(r.longestLinearized()).extracting(Op::kind).containsExactly(Op.Kind.REGISTER);
    }

    @Test
    void aLongConcurrentHistoryOfARealRegisterIsCheckedQuickly() {
        // 4 clients, 400 operations, each a real (sequentially consistent by construction) execution:
        // operations take effect at a random instant inside their interval
        Random random = new Random(42);
        List<Op> ops = new ArrayList<>();
        Map<String, Integer> state = new java.util.HashMap<>();
        long[] busyUntil = new long[4];
        List<long[]> effects = new ArrayList<>();
        for (int t = 0; t < 400; t++) {
            int c = random.nextInt(4);
            long start = busyUntil[c] + random.nextInt(5);
            long effect = start + 1 + random.nextInt(20);
            long end = effect + 1 + random.nextInt(20);
            busyUntil[c] = end;
            effects.add(new long[] {effect, c, start, end, random.nextInt(3), random.nextInt(3), t});
        }
        effects.sort(java.util.Comparator.comparingLong(e -> e[0]));
        for (long[] e : effects) {
            String id = "i" + e[5];
            int kind = (int) e[4];
            if (kind == 0) {
                state.put(id, (int) e[6]);
                ops.add(Op.register((int) e[1], "s", id, (int) e[6], e[2], e[3], Op.Outcome.OK));
            } else if (kind == 1) {
                state.remove(id);
                ops.add(Op.deregister((int) e[1], "s", id, e[2], e[3], Op.Outcome.OK));
            } else {
                ops.add(Op.discover((int) e[1], "s", e[2], e[3], state));
            }
        }
        assertThat(checker.check(ops).verdict()).isEqualTo(Verdict.LINEARIZABLE);
        // the same history with one read made stale
        int victim = -1;
        for (int i = ops.size() - 1; i >= 0 && victim < 0; i--) {
            if (ops.get(i).kind() == Op.Kind.DISCOVER && !ops.get(i).observed().isEmpty()) {
                victim = i;
            }
        }
        Op v = ops.get(victim);
        Map<String, Integer> wrong = new java.util.HashMap<>(v.observed());
        wrong.replaceAll((k, port) -> port + 100_000);
        ops.set(victim, Op.discover(v.client(), "s", v.invokedNanos(), v.completedNanos(), wrong));
        assertThat(checker.check(ops).verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }
}
