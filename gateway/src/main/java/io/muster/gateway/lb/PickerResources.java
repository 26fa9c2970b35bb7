package io.muster.gateway.lb;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Time and randomness for pickers, injected so algorithm tests are exact.
 *
 * @param nanoClock monotonic nanoseconds, like {@link System#nanoTime()}
 * @param random shared by all request threads: must be thread-safe (e.g. {@link #threadLocalRandom()}
 *     or {@link java.util.Random}; a scripted fake in tests)
 */
public record PickerResources(LongSupplier nanoClock, RandomGenerator random) {

  public PickerResources {
    Objects.requireNonNull(nanoClock, "nanoClock");
    Objects.requireNonNull(random, "random");
  }

  /** {@link System#nanoTime()} and {@link #threadLocalRandom()}. */
  public static PickerResources system() {
    return new PickerResources(System::nanoTime, threadLocalRandom());
  }

  /** A generator that delegates every call to the calling thread's {@link ThreadLocalRandom}. */
  public static RandomGenerator threadLocalRandom() {
    return () -> ThreadLocalRandom.current().nextLong();
  }
}
