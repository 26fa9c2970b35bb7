package io.muster.server.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Holds the node's leadership callbacks back until its Raft node is published, then passes them on
 * in the order they came.
 *
 * <p>jraft can call {@code onLeaderStart} before {@code RaftGroupService.start()} returns: a
 * one-member cluster elects itself inside it, and its state machine thread announces the leadership
 * as soon as the configuration entry is applied. A listener that reacts by proposing (the ACL
 * bootstrap, a lease's expiry, the health checker's resync) would meet a node that cannot propose
 * yet. Every event after {@link #open()} is passed on at once, on jraft's state machine thread;
 * events before it are passed on by {@code open()}, on the starting thread, before it returns. One
 * lock orders the two, so a listener never sees a later event before an earlier one.
 */
final class LeadershipGate implements LeadershipListener {

    private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
    // guarded by this
    private boolean open;
    // guarded by this; events that came before open()
    private final List<Consumer<LeadershipListener>> held = new ArrayList<>();

    void add(LeadershipListener listener) {
        listeners.add(listener);
    }

    /** Passes on the events held so far, in order, and every later one as it comes. Idempotent. */
    synchronized void open() {
        if (open) {
            return;
        }
        open = true;
        for (Consumer<LeadershipListener> event : held) {
            listeners.forEach(event);
        }
        held.clear();
    }

    private synchronized void pass(Consumer<LeadershipListener> event) {
        if (open) {
            listeners.forEach(event);
        } else {
            held.add(event);
        }
    }

    @Override
    public void onLeaderStart(long term) {
        pass(l -> l.onLeaderStart(term));
    }

    @Override
    public void onLeaderStop() {
        pass(LeadershipListener::onLeaderStop);
    }

    @Override
    public void onStartFollowing(long term) {
        pass(l -> l.onStartFollowing(term));
    }

    @Override
    public void onStopFollowing() {
        pass(LeadershipListener::onStopFollowing);
    }
}
