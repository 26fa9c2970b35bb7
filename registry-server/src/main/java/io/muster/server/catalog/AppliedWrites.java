package io.muster.server.catalog;

import io.muster.api.v1.AppliedWrite;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registers, deregisters and maintenance changes applied with a request id, so that a retry of one is answered and
 * not applied again. A retry after a lost answer is not harmless even though each write is
 * idempotent on its own: between the two applications another client may have written the same
 * instance, and the retry would undo that newer write (a deregister removing a later
 * registration), which no order of the calls explains (docs/robustness.md).
 *
 * <p>The window is measured in the leader clock carried by each command and bounded in count,
 * both applied in log order, so every replica that applied the same log holds the same entries
 * and answers a retry the same way; the entries travel in Raft snapshots for the same reason.
 * A retry older than the window (or after {@link #MAX_ENTRIES} newer such writes) is applied again.
 *
 * <p>Not thread-safe: used by the {@link Catalog} under its write lock.
 */
final class AppliedWrites {

    /** Longer than any client's retry budget (the default total timeout is 20 s). */
    static final long WINDOW_MS = 120_000;
    /** About 100 bytes each: a few MB at most, in memory and in every snapshot. */
    static final int MAX_ENTRIES = 65_536;

    /**
     * What the first application answered: a register's lease, TTL and {@code updated}
     * ({@code existed}), a deregister's {@code found} ({@code existed}), a maintenance change's
     * {@code changed}.
     */
    record Applied(long appliedAtMs, long leaseId, long leaseTtlMs, boolean existed, boolean changed) {
    }

    // insertion order is apply order, so the oldest entry is the first
    private final LinkedHashMap<String, Applied> byKey = new LinkedHashMap<>();

    /**
     * The entry of a write. In the default namespace the key has the form it had before namespaces
     * ({@code kind/service/id/request}), so entries in snapshots taken before keep answering their
     * retries; elsewhere the namespace comes first ({@code kind/ns/service/id/request}: one more
     * segment, and no name contains a {@code /}, so the two forms never collide).
     */
    static String key(String kind, InstanceKey instance, String requestId) {
        String ns = instance.namespace().equals(Namespaces.DEFAULT) ? "" : instance.namespace() + '/';
        return kind + '/' + ns + instance.service() + '/' + instance.id() + '/' + requestId;
    }

    /** The earlier application of {@code key}, if it is still within the window at {@code nowMs}. */
    Applied find(String key, long nowMs) {
        evict(nowMs);
        return byKey.get(key);
    }

    void add(String key, Applied applied) {
        byKey.remove(key);
        byKey.put(key, applied);
        evict(applied.appliedAtMs());
    }

    private void evict(long nowMs) {
        Iterator<Map.Entry<String, Applied>> it = byKey.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Applied> oldest = it.next();
            if (byKey.size() <= MAX_ENTRIES && oldest.getValue().appliedAtMs() >= nowMs - WINDOW_MS) {
                return;
            }
            it.remove();
        }
    }

    int size() {
        return byKey.size();
    }

    List<AppliedWrite> snapshot() {
        List<AppliedWrite> out = new ArrayList<>(byKey.size());
        byKey.forEach((k, a) -> out.add(AppliedWrite.newBuilder().setKey(k).setAppliedAtMs(a.appliedAtMs())
                .setLeaseId(a.leaseId()).setLeaseTtlMs(a.leaseTtlMs()).setExisted(a.existed()).setChanged(a.changed()).build()));
        return out;
    }

    void resetTo(List<AppliedWrite> entries) {
        byKey.clear();
        for (AppliedWrite w : entries) {
            byKey.put(w.getKey(), new Applied(w.getAppliedAtMs(), w.getLeaseId(), w.getLeaseTtlMs(), w.getExisted(), w.getChanged()));
        }
    }
}
