package io.muster.gateway.testing;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.random.RandomGenerator;

/**
 * A scripted {@link RandomGenerator}: {@link #nextInt(int)} and {@link #nextDouble()} return queued
 * values (ints taken modulo the bound); when the queue is empty they return 0, so a picker's random
 * start offset is 0 unless a test says otherwise.
 */
public final class FakeRandom implements RandomGenerator {

  private final Deque<Integer> ints = new ArrayDeque<>();
  private final Deque<Double> doubles = new ArrayDeque<>();

  public FakeRandom withInts(int... values) {
    for (int v : values) {
      ints.add(v);
    }
    return this;
  }

  public FakeRandom withDoubles(double... values) {
    for (double v : values) {
      doubles.add(v);
    }
    return this;
  }

  @Override
  public long nextLong() {
    return 0;
  }

  @Override
  public int nextInt(int bound) {
    Integer v = ints.poll();
    return v == null ? 0 : Math.floorMod(v, bound);
  }

  @Override
  public double nextDouble() {
    Double v = doubles.poll();
    return v == null ? 0 : v;
  }
}
