package io.muster.gateway.testing;

import io.muster.gateway.pool.Scheduler;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** A manual clock that also runs scheduled tasks when time is moved past their due time. */
public final class FakeTicker implements LongSupplier, Scheduler {

  private record Task(long due, long seq, Runnable runnable) {}

  private final List<Task> tasks = new ArrayList<>();
  private long now = 1_000_000_000L;
  private long seq;

  @Override
  public synchronized long getAsLong() {
    return now;
  }

  @Override
  public synchronized void schedule(Runnable task, long delayNanos) {
    tasks.add(new Task(now + Math.max(0, delayNanos), seq++, task));
  }

  /** Moves time forward, running due tasks in order (tasks they schedule run too if due). */
  public void advance(long amount, TimeUnit unit) {
    long target;
    synchronized (this) {
      target = now + unit.toNanos(amount);
    }
    while (true) {
      Task next;
      synchronized (this) {
        next = tasks.stream().filter(t -> t.due() <= target)
            .min(Comparator.comparingLong(Task::due).thenComparingLong(Task::seq)).orElse(null);
        if (next == null) {
          now = target;
          return;
        }
        tasks.remove(next);
        now = Math.max(now, next.due());
      }
      next.runnable().run();
    }
  }

  public synchronized int pendingTasks() {
    return tasks.size();
  }
}
