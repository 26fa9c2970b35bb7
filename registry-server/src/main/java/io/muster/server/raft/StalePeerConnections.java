package io.muster.server.raft;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the leader's Raft transport dial a peer afresh when replication has not reached it for a
 * while and the transport holds no usable connection to it.
 *
 * <p>Why: bolt (jraft's transport) keeps one connection pool per peer address and never rebuilds a
 * pool that is left without a live connection. A connection reset just after it was established
 * (a peer that accepts and resets at once: a member starting or going down, or a proxy in front of
 * a member that is down) can race bolt's synchronous pool creation: the connection's close handler
 * finds the pool still being created, closes the connection on its own, and the creation then puts
 * the dead connection into the pool. From then on bolt's pool lookup finds no live connection,
 * every call fails ("Connection is null"), jraft's retries ({@code checkConnection} with
 * {@code createIfAbsent}) find the pool present and create nothing, and bolt drops the empty pool
 * only after 10 minutes without a new connection. The peer stays without a leader all that time
 * although it is up (found by the robustness suite's long profile, docs/robustness.md). Closing
 * the pool (jraft's {@code ClientService.disconnect}) removes it; jraft's next attempt creates a
 * new one.
 *
 * <p>Only a peer that the leader has not heard from for {@code grace} and to which the transport has
 * no usable connection is reset, at most once per {@code grace}: a peer that is merely down has no
 * pool to lose (the reset is a no-op), and a partitioned peer behind a live connection keeps it
 * (bolt's heartbeats time it out). The first reset of an outage is logged at INFO; the rest are
 * counted ({@link #resets()}), since a peer that is down would repeat it every {@code grace}.
 *
 * <p>Threading: {@link #sample} runs on one scheduled thread; {@link #resets()} may be read anywhere.
 */
final class StalePeerConnections {

    private static final Logger log = LoggerFactory.getLogger(StalePeerConnections.class);

    /** The leader's connections to its peers (jraft's client service, bolt underneath). */
    interface Transport {
        /** Whether a live, writable connection to the peer is pooled (creates none). */
        boolean usable(String peer);

        /** Closes every pooled connection to the peer and forgets the pool. */
        void reset(String peer);
    }

    private static final class Outage {
        final long since;
        long resetAt;
        boolean logged;

        Outage(long since) {
            this.since = since;
        }
    }

    private final String self;
    private final Transport transport;
    private final LongSupplier nanoTime;
    private final long graceNanos;
    private final Map<String, Outage> outages = new HashMap<>();
    private volatile long resets;

    StalePeerConnections(String self, Transport transport, LongSupplier nanoTime, Duration grace) {
        if (grace.isNegative() || grace.isZero()) {
            throw new IllegalArgumentException("grace: " + grace + " (expected: > 0)");
        }
        this.self = self;
        this.transport = transport;
        this.nanoTime = nanoTime;
        this.graceNanos = grace.toNanos();
    }

    /**
     * One look at the leader's peers: {@code peers} of its configuration, {@code alive} those jraft
     * heard from within its leader lease. A member that does not lead forgets every outage (only
     * the leader replicates; a later term starts counting afresh).
     */
    synchronized void sample(boolean leader, Collection<String> peers, Collection<String> alive) {
        if (!leader) {
            outages.clear();
            return;
        }
        long now = nanoTime.getAsLong();
        outages.keySet().removeIf(p -> !peers.contains(p) || alive.contains(p));
        for (String peer : peers) {
            if (peer.equals(self) || alive.contains(peer)) {
                continue;
            }
            Outage o = outages.computeIfAbsent(peer, p -> new Outage(now));
            if (now - o.since < graceNanos || (o.resetAt != 0 && now - o.resetAt < graceNanos)) {
                continue;
            }
            if (transport.usable(peer)) {
                continue;
            }
            transport.reset(peer);
            o.resetAt = now;
            resets++;
            if (!o.logged) {
                o.logged = true;
                log.info("peer {}: not reached by replication for {} ms and no usable connection to it; "
                                + "closed the Raft transport's connections to it so that the next attempt dials it afresh",
                        peer, Duration.ofNanos(now - o.since).toMillis());
            }
        }
    }

    /** Connection resets so far (every peer, every term). */
    long resets() {
        return resets;
    }
}
