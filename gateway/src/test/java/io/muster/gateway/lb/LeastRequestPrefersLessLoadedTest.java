package io.muster.gateway.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.muster.gateway.testing.FakeRandom;
import io.muster.testkit.UnitTest;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

@UnitTest
class LeastRequestPrefersLessLoadedTest {

  private final FakeTarget a = new FakeTarget("a");
  private final FakeTarget b = new FakeTarget("b");
  private final FakeTarget c = new FakeTarget("c");

  private static void load(FakeTarget t, int inflight) {
    for (int i = 0; i < inflight; i++) {
      t.load().started();
    }
  }

  @Test
  void ofTwoRandomChoicesTheOneWithFewerRequestsWins() {
    load(a, 3);
    load(b, 1);
    load(c, 2);
    // draws: (first=0 a, second=0 -> b), (first=2 c, second=0 a), (first=1 b, second=1 -> c)
    FakeRandom random = new FakeRandom().withInts(0, 0, 2, 0, 1, 1);
    Picker<FakeTarget> p = Strategy.LEAST_REQUEST.newPicker(List.of(a, b, c), new PickerResources(() -> 0L, random));
    assertSame(b, p.pick(PickContext.NONE));
    assertSame(c, p.pick(PickContext.NONE));
    assertSame(b, p.pick(PickContext.NONE));
  }

  @Test
  void aTieGoesToTheFirstDraw() {
    FakeRandom random = new FakeRandom().withInts(1, 0);
    Picker<FakeTarget> p = Strategy.LEAST_REQUEST.newPicker(List.of(a, b), new PickerResources(() -> 0L, random));
    assertSame(b, p.pick(PickContext.NONE));
  }

  @Test
  void theIdleTargetTakesTwoThirdsOfPicksAgainstTwoBusyOnes() {
    load(a, 10);
    load(c, 10);
    Picker<FakeTarget> p = Strategy.LEAST_REQUEST.newPicker(List.of(a, b, c),
        new PickerResources(() -> 0L, new Random(42)));
    int forB = 0;
    int n = 3000;
    for (int i = 0; i < n; i++) {
      if (p.pick(PickContext.NONE) == b) {
        forB++;
      }
    }
    // b wins whenever it is one of the two draws: probability 2/3
    assertEquals(2.0 / 3, forB / (double) n, 0.03);
  }

  @Test
  void exclusionLeavesTheOnlyOtherTarget() {
    Picker<FakeTarget> p = Strategy.LEAST_REQUEST.newPicker(List.of(a, b),
        new PickerResources(() -> 0L, new Random(1)));
    for (int i = 0; i < 10; i++) {
      assertSame(b, p.pick(new PickContext(null, Set.of(a))));
    }
  }
}
