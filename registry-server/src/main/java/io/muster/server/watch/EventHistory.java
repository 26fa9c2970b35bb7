package io.muster.server.watch;

import io.muster.api.v1.Event;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A bounded ring of the most recent events, indexed by revision.
 *
 * <p>Revisions are dense (one per event), so revision {@code r} lives in slot {@code r % capacity}.
 * One writer (the apply thread) and any number of lock-free readers: a reader that finds a slot
 * already overwritten by a newer revision treats its position as compacted.
 */
public final class EventHistory {

    private final AtomicReferenceArray<Event> ring;
    private final int capacity;
    private volatile long last;
    private volatile long compacted;

    public EventHistory(int capacity) {
        if (capacity < 16) {
            throw new IllegalArgumentException("history capacity: " + capacity + " (expected: >= 16)");
        }
        this.capacity = capacity;
        this.ring = new AtomicReferenceArray<>(capacity);
    }

    /** Appends the event with revision {@code last + 1}. Single writer. */
    void append(Event event) {
        long rev = event.getRevision();
        if (rev != last + 1) {
            throw new IllegalStateException("revision gap: got " + rev + " after " + last);
        }
        ring.set((int) (rev % capacity), event);
        last = rev;
    }

    /** Forgets everything: revisions up to {@code revision} are no longer available. */
    void reset(long revision) {
        compacted = revision;
        last = revision;
    }

    /** Latest revision appended. */
    public long lastRevision() {
        return last;
    }

    /** Oldest revision that can still be read. */
    public long oldestAvailable() {
        return Math.max(compacted + 1, last - capacity + 1);
    }

    /** The event at {@code revision}, or null if it is not (or no longer) in the ring. */
    public Event get(long revision) {
        if (revision > last || revision <= compacted) {
            return null;
        }
        Event e = ring.get((int) (revision % capacity));
        return e != null && e.getRevision() == revision ? e : null;
    }
}
