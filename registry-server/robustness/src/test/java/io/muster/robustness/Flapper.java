package io.muster.robustness;

import io.muster.testkit.Network;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A flapping member: isolated and healed every 700 ms until stopped. One victim at a time. */
final class Flapper implements AutoCloseable {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "robustness-flapper");
        t.setDaemon(true);
        return t;
    });
    private ScheduledFuture<?> running;

    synchronized void start(Network net, String victim) {
        stop();
        boolean[] cut = {false};
        running = timer.scheduleWithFixedDelay(() -> {
            cut[0] = !cut[0];
            if (cut[0]) {
                net.isolate(victim);
            } else {
                net.heal();
            }
        }, 0, 700, TimeUnit.MILLISECONDS);
    }

    /** Stops flapping; returns once a flip in progress has finished (the caller heals after it). */
    synchronized void stop() {
        if (running == null) {
            return;
        }
        running.cancel(false);
        running = null;
        try {
            timer.submit(() -> { }).get(); // the timer's one thread: runs after a flip in progress
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
