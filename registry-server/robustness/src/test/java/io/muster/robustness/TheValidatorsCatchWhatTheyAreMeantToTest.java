package io.muster.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Event;
import io.muster.api.v1.EventType;
import io.muster.api.v1.Instance;
import io.muster.testkit.UnitTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A validator that cannot fail proves nothing (issue 18's audit): validators 2 (no acknowledged write
 * lost, none half-applied) and 3 (watches ordered, no duplicate, no gap) on histories whose answer is
 * known. Validator 1 has its own test ({@link LinearizabilityCheckerTest}), validator 5 too
 * ({@link ValidatorFiveCatchesTwoLeadersAndDivergedMembersTest}); validator 4 was shown to
 * fail with the keep-alive fix reverted (docs/robustness.md, 36 lease losses).
 */
@UnitTest
class TheValidatorsCatchWhatTheyAreMeantToTest {

    private static History history(Op... ops) {
        History h = new History();
        for (Op op : ops) {
            h.add(op);
        }
        return h;
    }

    private static Op reg(int client, String id, int port, long from, long to, Op.Outcome outcome) {
        return Op.register(client, "s", id, port, from, to, outcome);
    }

    @Test
    void anAcknowledgedRegisterMissingFromTheCatalogIsLost() {
        History h = history(reg(0, "a", 1, 0, 10, Op.Outcome.OK), reg(0, "a", 2, 20, 30, Op.Outcome.OK));

        assertThat(Validators.lostOrHalfWrites(h, Map.of("s", Map.of("a", "2/7")))).isEmpty();
        assertThat(Validators.lostOrHalfWrites(h, Map.of("s", Map.of("a", "1/5")))).singleElement().asString().startsWith("lost: ");
        assertThat(Validators.lostOrHalfWrites(h, Map.of())).singleElement().asString().startsWith("lost: ");
    }

    @Test
    void anAcknowledgedDeregisterWhoseInstanceIsStillThereIsLost() {
        History h = history(reg(0, "a", 1, 0, 10, Op.Outcome.OK), Op.deregister(0, "s", "a", 20, 30, Op.Outcome.OK));

        assertThat(Validators.lostOrHalfWrites(h, Map.of())).isEmpty();
        assertThat(Validators.lostOrHalfWrites(h, Map.of("s", Map.of("a", "1/5")))).singleElement().asString()
                .startsWith("lost: ").contains("still has");
    }

    @Test
    void overlappingOrUnknownLastWritesAreNotJudgedLost() {
        // two overlapping registers: either may win
        History overlapping = history(reg(0, "a", 1, 0, 30, Op.Outcome.OK), reg(1, "a", 2, 10, 20, Op.Outcome.OK));
        assertThat(Validators.lostOrHalfWrites(overlapping, Map.of("s", Map.of("a", "1/5")))).isEmpty();
        // a last write of unknown outcome may or may not have been applied
        History unknown = history(reg(0, "a", 1, 0, 10, Op.Outcome.OK), reg(0, "a", 2, 20, 21, Op.Outcome.UNKNOWN));
        assertThat(Validators.lostOrHalfWrites(unknown, Map.of("s", Map.of("a", "1/5")))).isEmpty();
        assertThat(Validators.lostOrHalfWrites(unknown, Map.of("s", Map.of("a", "2/6")))).isEmpty();
    }

    @Test
    void aPortNoRegisterWroteIsHalfOrInventedInAReadOrInTheCatalog() {
        History read = history(reg(0, "a", 1, 0, 10, Op.Outcome.UNKNOWN), Op.discover(1, "s", 20, 30, Map.of("a", 9)));
        assertThat(Validators.lostOrHalfWrites(read, Map.of())).singleElement().asString().startsWith("half or invented: ");

        History none = history(reg(0, "a", 1, 0, 10, Op.Outcome.UNKNOWN));
        assertThat(Validators.lostOrHalfWrites(none, Map.of("s", Map.of("b", "3/4")))).singleElement().asString()
                .startsWith("half or invented: the catalog has s/b:3");
    }

    private static Event event(long revision, EventType type, String id) {
        return Event.newBuilder().setRevision(revision).setType(type)
                .setInstance(Instance.newBuilder().setService("s").setId(id).setPort(1000 + (int) revision).setModRevision(revision)).build();
    }

    @Test
    void aWatchWithAGapADuplicateOrAnEventBeforeItsSnapshotIsCaught() {
        WatchRecorder early = new WatchRecorder("w");
        early.onEvents(List.of(event(1, EventType.REGISTERED, "a")));
        assertThat(early.violations()).singleElement().asString().contains("before any snapshot");

        WatchRecorder gap = new WatchRecorder("w");
        gap.onSnapshot(List.of(), 10);
        gap.onEvents(List.of(event(11, EventType.REGISTERED, "a"), event(13, EventType.REGISTERED, "b")));
        assertThat(gap.violations()).singleElement().asString().contains("gap: revisions 12..12 missing");

        WatchRecorder duplicate = new WatchRecorder("w");
        duplicate.onSnapshot(List.of(), 10);
        duplicate.onEvents(List.of(event(11, EventType.REGISTERED, "a")));
        duplicate.onReconnect(null, "n2");
        duplicate.onEvents(List.of(event(11, EventType.REGISTERED, "a"), event(12, EventType.DEREGISTERED, "a")));
        assertThat(duplicate.violations()).singleElement().asString().contains("event 11 again or out of order");
        assertThat(duplicate.state()).as("the duplicate was not applied twice").isEmpty();
    }

    @Test
    void aResumeWithoutAGapAndANewSnapshotAreFineAndTheStateFollowsTheEvents() {
        WatchRecorder w = new WatchRecorder("w");
        w.onSnapshot(List.of(Instance.newBuilder().setService("s").setId("a").setPort(1).setModRevision(3).build()), 10);
        w.onEvents(List.of(event(11, EventType.REGISTERED, "b")));
        w.onReconnect(null, "n2");
        w.onEvents(List.of(event(12, EventType.DEREGISTERED, "a"), event(13, EventType.EXPIRED, "b")));
        w.onSnapshot(List.of(Instance.newBuilder().setService("s").setId("c").setPort(5).setModRevision(20).build()), 20);
        w.onEvents(List.of(event(21, EventType.UPDATED, "c")));

        assertThat(w.violations()).isEmpty();
        assertThat(w.expired()).containsExactly("s/b@13");
        assertThat(w.state()).isEqualTo(Map.of("s", Map.of("c", "1021/21")));
        assertThat(w.lastRevision()).isEqualTo(21);
    }
}
