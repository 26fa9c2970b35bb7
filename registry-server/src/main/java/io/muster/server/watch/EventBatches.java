package io.muster.server.watch;

import io.muster.api.v1.WatchResponse;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The EVENTS messages built recently, so that watchers with the same filter at the same position
 * send the same immutable {@link WatchResponse} instance instead of building (and serializing) one
 * each. With 1,000 watchers of one service, an event is built once, not 1,000 times; the transport's
 * marshaller then serializes that instance once too (see {@code SharedWatchResponses}).
 *
 * <p>A batch is a pure function of (filter, first revision, last revision seen) because an applied
 * revision never changes. The cache is direct-mapped: each key hashes to one slot that holds the
 * last batch stored there, so a collision costs a rebuild, never a wrong answer (the whole key is
 * compared on lookup). Lock-free; any number of draining threads.
 */
final class EventBatches {

    /**
     * What a watcher at {@code from} with filter {@code services} sends when history ends at
     * {@code latest}: {@code response} (null when no event in the range matches) and the position it
     * continues from, {@code next}.
     */
    record Batch(Set<String> services, long from, long latest, WatchResponse response, long next) {
    }

    private final AtomicReferenceArray<Batch> slots;
    private final int mask;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    /** @param slots number of slots, a power of two */
    EventBatches(int slots) {
        if (slots < 1 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots: " + slots + " (expected: a power of two)");
        }
        this.slots = new AtomicReferenceArray<>(slots);
        this.mask = slots - 1;
    }

    /** The batch stored for this key, or null. {@code servicesHash} is {@code services.hashCode()}. */
    Batch get(Set<String> services, int servicesHash, long from, long latest) {
        Batch b = slots.get(slot(servicesHash, from, latest));
        if (b != null && b.from() == from && b.latest() == latest && b.services().equals(services)) {
            hits.increment();
            return b;
        }
        misses.increment();
        return null;
    }

    void put(Batch batch, int servicesHash) {
        slots.set(slot(servicesHash, batch.from(), batch.latest()), batch);
    }

    /** Drops every batch (the history was reset). */
    void clear() {
        for (int i = 0; i < slots.length(); i++) {
            slots.set(i, null);
        }
    }

    long hits() {
        return hits.sum();
    }

    long misses() {
        return misses.sum();
    }

    private int slot(int servicesHash, long from, long latest) {
        long h = servicesHash * 31L + from;
        h = h * 31L + latest;
        h ^= h >>> 32;
        h ^= h >>> 16;
        return (int) h & mask;
    }
}
