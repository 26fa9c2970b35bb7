package io.muster.gateway.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.testing.FakeRandom;
import io.muster.testkit.UnitTest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

@UnitTest
class PeakEwmaPrefersFasterEndpointTest {

  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long TAU = TimeUnit.SECONDS.toNanos(10);

  private final AtomicLong clock = new AtomicLong(1_000 * MS);

  @Test
  void theFasterOfTwoDrawsWins() {
    FakeTarget fast = new FakeTarget("fast", 1, clock::get);
    FakeTarget slow = new FakeTarget("slow", 1, clock::get);
    fast.load().observe(10 * MS, clock.get());
    slow.load().observe(100 * MS, clock.get());
    FakeRandom random = new FakeRandom().withInts(1, 0, 0, 0);
    Picker<FakeTarget> p = Strategy.PEAK_EWMA.newPicker(List.of(fast, slow), new PickerResources(clock::get, random));
    assertSame(fast, p.pick(PickContext.NONE)); // draws slow then fast
    assertSame(fast, p.pick(PickContext.NONE)); // draws fast then slow
  }

  @Test
  void loadMultipliesLatencySoAFastButBusyTargetCanLose() {
    FakeTarget fast = new FakeTarget("fast", 1, clock::get);
    FakeTarget slow = new FakeTarget("slow", 1, clock::get);
    fast.load().observe(10 * MS, clock.get());
    slow.load().observe(30 * MS, clock.get());
    for (int i = 0; i < 3; i++) {
      fast.load().started(); // cost 10 * 4 = 40 > 30
    }
    Picker<FakeTarget> p = Strategy.PEAK_EWMA.newPicker(List.of(fast, slow),
        new PickerResources(clock::get, new FakeRandom()));
    assertSame(slow, p.pick(PickContext.NONE));
  }

  @Test
  void aPeakIsTakenAtOnceAndForgottenWithTheDecay() {
    LoadStats s = new LoadStats(TAU, clock.get());
    s.observe(10 * MS, clock.get());
    assertEquals(10 * MS, s.ewmaNanos(clock.get()), 1);
    s.observe(200 * MS, clock.get());
    assertEquals(200 * MS, s.ewmaNanos(clock.get()), 1, "a peak replaces the average at once");
    clock.addAndGet(TAU);
    assertEquals(200 * MS * Math.exp(-1), s.ewmaNanos(clock.get()), 1);
    s.observe(10 * MS, clock.get());
    double expected = 200 * MS * Math.exp(-1) + (1 - Math.exp(-1)) * 10 * MS;
    assertEquals(expected, s.ewmaNanos(clock.get()), 1);
  }

  @Test
  void requestsInFlightWithoutAnyLatencyArePenalized() {
    LoadStats s = new LoadStats(TAU, clock.get());
    assertEquals(0, s.cost(clock.get()));
    s.started();
    assertTrue(s.cost(clock.get()) >= LoadStats.PENALTY_NANOS);
    s.finished(5 * MS, clock.get());
    assertEquals(5 * MS, s.cost(clock.get()), 1);
  }

  @Test
  void overManyPicksTheFastTargetGetsMostTraffic() {
    FakeTarget fast = new FakeTarget("fast", 1, clock::get);
    FakeTarget slow = new FakeTarget("slow", 1, clock::get);
    FakeTarget medium = new FakeTarget("medium", 1, clock::get);
    fast.load().observe(5 * MS, clock.get());
    medium.load().observe(50 * MS, clock.get());
    slow.load().observe(500 * MS, clock.get());
    Picker<FakeTarget> p = Strategy.PEAK_EWMA.newPicker(List.of(fast, medium, slow),
        new PickerResources(clock::get, new Random(7)));
    int toFast = 0;
    int toSlow = 0;
    for (int i = 0; i < 3000; i++) {
      FakeTarget t = p.pick(PickContext.NONE);
      toFast += t == fast ? 1 : 0;
      toSlow += t == slow ? 1 : 0;
    }
    assertEquals(2000, toFast, 100); // fast is chosen whenever drawn: 2/3
    assertEquals(0, toSlow);          // slow never wins a draw
  }
}
