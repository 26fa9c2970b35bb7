package io.muster.gateway.lb;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** A bare target for algorithm tests. */
final class FakeTarget implements Target {

  private final String key;
  private volatile int weight;
  private final LoadStats load;

  FakeTarget(String key, int weight, LongSupplier clock) {
    this.key = key;
    this.weight = weight;
    this.load = new LoadStats(TimeUnit.SECONDS.toNanos(10), clock.getAsLong());
  }

  FakeTarget(String key) {
    this(key, 1, () -> 0L);
  }

  @Override
  public String key() {
    return key;
  }

  @Override
  public int weight() {
    return weight;
  }

  void weight(int w) {
    this.weight = w;
  }

  @Override
  public LoadStats load() {
    return load;
  }

  @Override
  public String toString() {
    return key;
  }
}
