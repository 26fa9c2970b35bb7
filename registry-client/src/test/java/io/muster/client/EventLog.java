package io.muster.client;

import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import java.util.ArrayList;
import java.util.List;

/** Records what a {@link WatchListener} receives, for exact checks. Thread-safe. */
final class EventLog implements WatchListener {
    final List<Event> events = new ArrayList<>();
    final List<Long> snapshots = new ArrayList<>();
    final List<List<Instance>> snapshotContents = new ArrayList<>();
    volatile long progress;
    volatile int reconnects;

    @Override
    public synchronized void onSnapshot(List<Instance> instances, long revision) {
        snapshots.add(revision);
        snapshotContents.add(instances);
    }

    @Override
    public synchronized void onEvents(List<Event> batch) {
        events.addAll(batch);
    }

    @Override
    public void onProgress(long revision) {
        progress = revision;
    }

    @Override
    public void onReconnect(Throwable cause, String nextTarget) {
        reconnects++;
    }

    synchronized List<Event> events() {
        return List.copyOf(events);
    }

    synchronized long lastEventRevision() {
        return events.isEmpty() ? 0 : events.get(events.size() - 1).getRevision();
    }

    synchronized List<Long> snapshots() {
        return List.copyOf(snapshots);
    }
}
