package io.muster.gateway.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.muster.gateway.testing.FakeRandom;
import io.muster.testkit.UnitTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

@UnitTest
class RoundRobinPickerSequenceTest {

  private final FakeTarget a = new FakeTarget("a");
  private final FakeTarget b = new FakeTarget("b");
  private final FakeTarget c = new FakeTarget("c");

  private static String sequence(Picker<FakeTarget> p, PickContext ctx, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      FakeTarget t = p.pick(ctx);
      out.add(t == null ? "-" : t.key());
    }
    return String.join(" ", out);
  }

  @Test
  void visitsEachTargetInTurnFromTheRandomStart() {
    Picker<FakeTarget> p = Strategy.ROUND_ROBIN.newPicker(List.of(a, b, c), resources(new FakeRandom()));
    assertEquals("a b c a b c a", sequence(p, PickContext.NONE, 7));

    Picker<FakeTarget> offset = Strategy.ROUND_ROBIN.newPicker(List.of(a, b, c), resources(new FakeRandom().withInts(1)));
    assertEquals("b c a b", sequence(offset, PickContext.NONE, 4));
  }

  @Test
  void excludedTargetsAreSkipped() {
    Picker<FakeTarget> p = Strategy.ROUND_ROBIN.newPicker(List.of(a, b, c), resources(new FakeRandom()));
    assertEquals("a c a c", sequence(p, new PickContext(null, Set.of(b)), 4));
    assertNull(p.pick(new PickContext(null, Set.of(a, b, c))));
  }

  @Test
  void aRetryFindsTheUntriedTargetWhileOtherRequestsPickBetweenItsSteps() {
    // members a, b; the retry excludes b (tried). Between each of its steps another request picks,
    // so every slot the retry draws lands on b: it must still find a, not answer that none is left
    // (a 503 through the gateway while a healthy backend was there: GatewayFollowsRegistryTest)
    Picker<FakeTarget> p = Strategy.ROUND_ROBIN.newPicker(List.of(a, b), resources(new FakeRandom().withInts(1)));
    assertEquals(a, p.pick(new PickContext(null, othersPickBetweenSteps(p, b))));
  }

  /** A set holding only {@code tried} whose every lookup lets another request pick first. */
  static Set<FakeTarget> othersPickBetweenSteps(Picker<FakeTarget> p, FakeTarget tried) {
    return new java.util.AbstractSet<>() {
      @Override
      public boolean contains(Object o) {
        p.pick(PickContext.NONE);
        return o == tried;
      }

      @Override
      public java.util.Iterator<FakeTarget> iterator() {
        return Set.of(tried).iterator();
      }

      @Override
      public int size() {
        return 1;
      }
    };
  }

  @Test
  void emptyPickerPicksNothing() {
    Picker<FakeTarget> p = Strategy.ROUND_ROBIN.newPicker(List.of(), resources(new FakeRandom()));
    assertNull(p.pick(PickContext.NONE));
  }

  @Test
  void pickersOverTheSameTargetsAreEqualWhateverTheOrder() {
    var r = resources(new FakeRandom());
    assertEquals(Strategy.ROUND_ROBIN.newPicker(List.of(a, b), r), Strategy.ROUND_ROBIN.newPicker(List.of(b, a), r));
    assertNotEquals(Strategy.ROUND_ROBIN.newPicker(List.of(a, b), r), Strategy.ROUND_ROBIN.newPicker(List.of(a, c), r));
    assertNotEquals(Strategy.ROUND_ROBIN.newPicker(List.of(a, b), r),
        Strategy.LEAST_REQUEST.newPicker(List.of(a, b), r));
  }

  static PickerResources resources(FakeRandom random) {
    return new PickerResources(() -> 0L, random);
  }
}
