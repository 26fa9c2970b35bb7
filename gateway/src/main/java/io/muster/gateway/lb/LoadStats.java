package io.muster.gateway.lb;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Live load of one target: requests in flight and a peak-sensitive EWMA of latency (Finagle / Linkerd
 * "peak EWMA").
 *
 * <p>A latency above the current average replaces it at once (the peak); lower ones are blended in with
 * weight {@code 1 - exp(-elapsed / decay)}, so the average forgets a spike after a few decay periods.
 * Reading decays the value toward zero for the time since the last observation without storing it,
 * which keeps reads free of writes. Updates are lock-free (compare-and-set of an immutable sample).
 */
public final class LoadStats {

  /**
   * Cost of a target that has requests in flight but no latency observed yet: assume it is slow
   * rather than free, as Finagle does ({@code Long.MAX_VALUE >> 16} ns, about 39 hours).
   */
  static final double PENALTY_NANOS = (double) (Long.MAX_VALUE >> 16);

  private record Sample(double ewmaNanos, long stampNanos) {}

  private final double decayNanos;
  private final AtomicInteger inflight = new AtomicInteger();
  private final AtomicReference<Sample> sample;

  /**
   * @param decayNanos the EWMA time constant (tau), positive
   * @param nowNanos the current time of the clock later observations use
   */
  public LoadStats(long decayNanos, long nowNanos) {
    if (decayNanos <= 0) {
      throw new IllegalArgumentException("decayNanos: " + decayNanos + " (expected: > 0)");
    }
    this.decayNanos = decayNanos;
    this.sample = new AtomicReference<>(new Sample(0, nowNanos));
  }

  /** Requests started and not yet finished. */
  public int inflight() {
    return inflight.get();
  }

  /** A request to this target started. */
  public void started() {
    inflight.incrementAndGet();
  }

  /**
   * A request finished.
   *
   * @param latencyNanos its latency, or a negative value when there is none worth observing (e.g. the
   *     connection was refused: a fast failure must not make the target look fast)
   * @return requests still in flight
   */
  public int finished(long latencyNanos, long nowNanos) {
    if (latencyNanos >= 0) {
      observe(latencyNanos, nowNanos);
    }
    return inflight.decrementAndGet();
  }

  /** Folds one latency into the peak EWMA. */
  public void observe(long latencyNanos, long nowNanos) {
    double rtt = Math.max(0, latencyNanos);
    while (true) {
      Sample current = sample.get();
      double w = weightOfOld(current, nowNanos);
      double decayed = current.ewmaNanos() * w;
      // the peak wins outright; otherwise w * old + (1 - w) * rtt
      double next = rtt > decayed ? rtt : decayed + (1 - w) * rtt;
      Sample updated = new Sample(next, Math.max(nowNanos, current.stampNanos()));
      if (sample.compareAndSet(current, updated)) {
        return;
      }
    }
  }

  /** The latency EWMA in nanoseconds, decayed to {@code nowNanos}. */
  public double ewmaNanos(long nowNanos) {
    return decayed(sample.get(), nowNanos);
  }

  /**
   * Finagle's load metric: {@code ewma * (inflight + 1)}; {@link #PENALTY_NANOS} when requests are in
   * flight but no latency has been seen.
   */
  public double cost(long nowNanos) {
    double ewma = ewmaNanos(nowNanos);
    int pending = inflight.get();
    if (ewma == 0 && pending != 0) {
      return PENALTY_NANOS + pending;
    }
    return ewma * (pending + 1);
  }

  private double weightOfOld(Sample s, long nowNanos) {
    long elapsed = Math.max(0, nowNanos - s.stampNanos());
    return Math.exp(-elapsed / decayNanos);
  }

  private double decayed(Sample s, long nowNanos) {
    return s.ewmaNanos() * weightOfOld(s, nowNanos);
  }

  @Override
  public String toString() {
    Sample s = sample.get();
    return "LoadStats{inflight=" + inflight.get() + ", ewmaNanos=" + s.ewmaNanos() + '}';
  }
}
