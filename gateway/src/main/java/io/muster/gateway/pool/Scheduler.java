package io.muster.gateway.pool;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Runs a task later; injected so ejection timers run on a fake clock in tests. */
@FunctionalInterface
public interface Scheduler {

  void schedule(Runnable task, long delayNanos);

  static Scheduler of(ScheduledExecutorService executor) {
    return (task, delayNanos) -> executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
  }
}
