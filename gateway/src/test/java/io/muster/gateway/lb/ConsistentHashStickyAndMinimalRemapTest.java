package io.muster.gateway.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.muster.gateway.testing.FakeRandom;
import io.muster.testkit.UnitTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

@UnitTest
class ConsistentHashStickyAndMinimalRemapTest {

  private final FakeTarget a = new FakeTarget("a");
  private final FakeTarget b = new FakeTarget("b");
  private final FakeTarget c = new FakeTarget("c");
  private final PickerResources resources = new PickerResources(() -> 0L, new FakeRandom());

  private Picker<FakeTarget> ring(FakeTarget... targets) {
    return Strategy.CONSISTENT_HASH.newPicker(List.of(targets), resources);
  }

  @Test
  void aKeyAlwaysGoesToTheSameTargetWhateverTheInputOrder() {
    Picker<FakeTarget> p1 = ring(a, b, c);
    Picker<FakeTarget> p2 = ring(c, a, b);
    for (int i = 0; i < 1000; i++) {
      PickContext ctx = PickContext.withHashKey("user-" + i);
      FakeTarget first = p1.pick(ctx);
      assertSame(first, p1.pick(ctx));
      assertSame(first, p2.pick(ctx));
    }
  }

  @Test
  void keysSpreadRoughlyEvenly() {
    Picker<FakeTarget> p = ring(a, b, c);
    Map<FakeTarget, Integer> counts = new HashMap<>();
    int n = 30_000;
    for (int i = 0; i < n; i++) {
      counts.merge(p.pick(PickContext.withHashKey("k" + i)), 1, Integer::sum);
    }
    for (FakeTarget t : List.of(a, b, c)) {
      assertEquals(n / 3.0, counts.get(t), n * 0.05, "share of " + t);
    }
  }

  @Test
  void removingATargetMovesOnlyItsOwnKeys() {
    Picker<FakeTarget> before = ring(a, b, c);
    Picker<FakeTarget> after = ring(a, c);
    int moved = 0;
    int n = 10_000;
    for (int i = 0; i < n; i++) {
      PickContext ctx = PickContext.withHashKey("session-" + i);
      FakeTarget was = before.pick(ctx);
      FakeTarget now = after.pick(ctx);
      if (was != b) {
        assertSame(was, now, "key " + i + " must stay on " + was);
      } else {
        moved++;
        assertNotSame(b, now);
      }
    }
    assertEquals(n / 3.0, moved, n * 0.05);
  }

  @Test
  void anExcludedOwnerPassesTheKeyWhereItWouldGoWithoutIt() {
    Picker<FakeTarget> full = ring(a, b, c);
    Picker<FakeTarget> withoutB = ring(a, c);
    for (int i = 0; i < 500; i++) {
      String key = "k" + i;
      if (full.pick(PickContext.withHashKey(key)) == b) {
        assertSame(withoutB.pick(PickContext.withHashKey(key)), full.pick(new PickContext(key, Set.of(b))));
      }
    }
  }

  @Test
  void noKeyFallsBackToAnyTarget() {
    assertNotNull(ring(a, b, c).pick(PickContext.NONE));
  }

  @Test
  void weightsShapeTheRingAndTheEquality() {
    FakeTarget heavy = new FakeTarget("heavy", 300, () -> 0);
    FakeTarget light = new FakeTarget("light", 100, () -> 0);
    Picker<FakeTarget> p = ring(heavy, light);
    int toHeavy = 0;
    for (int i = 0; i < 20_000; i++) {
      toHeavy += p.pick(PickContext.withHashKey("x" + i)) == heavy ? 1 : 0;
    }
    assertEquals(15_000, toHeavy, 1_000);
    assertEquals(p, ring(light, heavy));
    light.weight(200);
    assertNotEquals(p, ring(light, heavy));
  }
}
