package io.muster.robustness;

import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.client.WatchListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A watch of every service, checked as it goes: with every service watched, each revision is one
 * event the watcher must see, so after a snapshot at revision R the events must be exactly R+1,
 * R+2, ... across every resume of the client (ordered, no duplicate, no gap). It also keeps the
 * state the events build (service to instance id to {@code port/mod_revision}), to compare with the
 * catalog at the end. Thread-safe.
 */
final class WatchRecorder implements WatchListener {

    private final String name;
    private final Map<String, Map<String, String>> state = new TreeMap<>();
    private final List<String> violations = new ArrayList<>();
    private long next = -1; // the revision the next event must carry; -1 before the first snapshot
    private long last;
    private long events;
    private final List<String> expired = new ArrayList<>();
    private int snapshots;
    private volatile int resumes;

    WatchRecorder(String name) {
        this.name = name;
    }

    @Override
    public synchronized void onSnapshot(List<Instance> instances, long revision) {
        snapshots++;
        state.clear();
        instances.forEach(this::put);
        next = revision + 1;
        last = revision;
    }

    @Override
    public synchronized void onEvents(List<Event> batch) {
        for (Event e : batch) {
            events++;
            if (next < 0) {
                violations.add(name + ": event " + e.getRevision() + " before any snapshot");
            } else if (e.getRevision() < next) {
                violations.add(name + ": event " + e.getRevision() + " again or out of order (expected " + next + ")");
                continue;
            } else if (e.getRevision() > next) {
                violations.add(name + ": gap: revisions " + next + ".." + (e.getRevision() - 1) + " missing");
            }
            if (e.getType() == io.muster.api.v1.EventType.EXPIRED) {
                expired.add(e.getInstance().getService() + "/" + e.getInstance().getId() + "@" + e.getRevision());
            }
            switch (e.getType()) {
                case DEREGISTERED, EXPIRED -> {
                    Map<String, String> s = state.get(e.getInstance().getService());
                    if (s != null) {
                        s.remove(e.getInstance().getId());
                        if (s.isEmpty()) {
                            state.remove(e.getInstance().getService());
                        }
                    }
                }
                default -> put(e.getInstance());
            }
            next = e.getRevision() + 1;
            last = e.getRevision();
        }
    }

    @Override
    public void onReconnect(Throwable cause, String nextTarget) {
        resumes++;
    }

    private void put(Instance i) {
        state.computeIfAbsent(i.getService(), k -> new TreeMap<>()).put(i.getId(), i.getPort() + "/" + i.getModRevision());
    }

    synchronized long lastRevision() {
        return last;
    }

    synchronized Map<String, Map<String, String>> state() {
        Map<String, Map<String, String>> copy = new TreeMap<>();
        state.forEach((k, v) -> copy.put(k, new TreeMap<>(v)));
        return copy;
    }

    synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    /** {@code service/id@revision} of every EXPIRED event seen. */
    synchronized List<String> expired() {
        return List.copyOf(expired);
    }

    synchronized long events() {
        return events;
    }

    synchronized int snapshots() {
        return snapshots;
    }

    int resumes() {
        return resumes;
    }

    String name() {
        return name;
    }
}
