package io.muster.gateway.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.FakeRandom;
import io.muster.testkit.UnitTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

@UnitTest
class SmoothWeightedRoundRobinSequenceTest {

  private static String sequence(Picker<FakeTarget> p, PickContext ctx, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(p.pick(ctx).key());
    }
    return String.join(" ", out);
  }

  private static Picker<FakeTarget> picker(FakeTarget... targets) {
    return Strategy.WEIGHTED_ROUND_ROBIN.newPicker(List.of(targets), RoundRobinPickerSequenceTest.resources(new FakeRandom()));
  }

  @Test
  void aRetryFindsTheUntriedTargetWhileOtherRequestsPickBetweenItsSteps() {
    FakeTarget a = new FakeTarget("a", 1, () -> 0);
    FakeTarget b = new FakeTarget("b", 1, () -> 0);
    Picker<FakeTarget> p = Strategy.WEIGHTED_ROUND_ROBIN.newPicker(List.of(a, b),
        RoundRobinPickerSequenceTest.resources(new io.muster.gateway.testing.FakeRandom().withInts(1)));
    assertEquals(a, p.pick(new PickContext(null, RoundRobinPickerSequenceTest.othersPickBetweenSteps(p, b))));
  }

  @Test
  void weightsFiveOneOneGiveNginxSmoothSequence() {
    Picker<FakeTarget> p = picker(new FakeTarget("a", 5, () -> 0), new FakeTarget("b", 1, () -> 0),
        new FakeTarget("c", 1, () -> 0));
    assertEquals("a a b a c a a a a b a c a a", sequence(p, PickContext.NONE, 14));
  }

  @Test
  void weightsTwoOneInterleave() {
    Picker<FakeTarget> p = picker(new FakeTarget("a", 2, () -> 0), new FakeTarget("b", 1, () -> 0));
    assertEquals("a b a a b a", sequence(p, PickContext.NONE, 6));
  }

  @Test
  void commonFactorIsRemovedSoEqualLargeWeightsAlternate() {
    Picker<FakeTarget> p = picker(new FakeTarget("a", 100, () -> 0), new FakeTarget("b", 100, () -> 0));
    assertEquals("a b a b", sequence(p, PickContext.NONE, 4));
  }

  @Test
  void excludedTargetIsSkippedAndOthersKeepTheirOrder() {
    FakeTarget a = new FakeTarget("a", 5, () -> 0);
    Picker<FakeTarget> p = picker(a, new FakeTarget("b", 1, () -> 0), new FakeTarget("c", 1, () -> 0));
    assertEquals("b c b c", sequence(p, new PickContext(null, Set.of(a)), 4));
  }

  @Test
  void hugeWeightSumsAreScaledButKeepTheirShares() {
    Picker<FakeTarget> p = picker(new FakeTarget("a", 9973, () -> 0), new FakeTarget("b", 7919, () -> 0),
        new FakeTarget("c", 1, () -> 0), new FakeTarget("d", 4999, () -> 0));
    Map<String, Integer> counts = new HashMap<>();
    int n = SmoothWeightedRoundRobinPicker.MAX_PERIOD;
    for (int i = 0; i < n; i++) {
      counts.merge(p.pick(PickContext.NONE).key(), 1, Integer::sum);
    }
    double total = 9973 + 7919 + 1 + 4999;
    assertEquals(9973 / total, counts.get("a") / (double) n, 0.001);
    assertEquals(7919 / total, counts.get("b") / (double) n, 0.001);
    assertTrue(counts.get("c") >= 1, "the smallest weight still gets traffic");
  }

  @Test
  void aWeightChangeMakesADifferentPicker() {
    FakeTarget a = new FakeTarget("a", 5, () -> 0);
    FakeTarget b = new FakeTarget("b", 1, () -> 0);
    Picker<FakeTarget> before = picker(a, b);
    assertEquals(before, picker(b, a));
    b.weight(2);
    assertNotEquals(before, picker(a, b));
  }
}
