package io.muster.server.lease;

import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.ExpireLeaseCmd;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.catalog.CatalogListener;
import io.muster.server.raft.LeadershipListener;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lease deadlines, kept in memory on every node and enforced only by the leader.
 *
 * <p>Keep-alives renew a deadline in memory and never touch the Raft log; only an expiry is
 * proposed. A node that becomes leader first gives every lease a fresh TTL, because it cannot know
 * when the previous leader last heard from a client.
 */
public final class LeaseManager implements CatalogListener, LeadershipListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeaseManager.class);

    private static final class Lease {
        final long id;
        final long ttlNanos;
        final long modRevision;
        volatile long deadline;

        Lease(long id, long ttlNanos, long modRevision, long deadline) {
            this.id = id;
            this.ttlNanos = ttlNanos;
            this.modRevision = modRevision;
            this.deadline = deadline;
        }
    }

    private final Map<Long, Lease> leases = new ConcurrentHashMap<>();
    /**
     * No lease expires before this: renewals only push deadlines later, so only new leases can
     * lower it. The leader scans all leases only once this is due, not on every tick.
     */
    private final java.util.concurrent.atomic.AtomicLong earliestDeadline = new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE);
    private final Set<Long> expiring = ConcurrentHashMap.newKeySet();
    private final LongSupplier nanoTime;
    private final Clock wallClock;
    private final Function<Command, CompletableFuture<ApplyResult>> proposer;
    private final ScheduledExecutorService scheduler;
    private final long tickMs;
    // the scan runs only while this member leads: a follower has nothing to expire and need not wake
    private ScheduledFuture<?> ticker; // guarded by this
    private boolean closed; // guarded by this
    private volatile boolean leader;

    /**
     * @param proposer proposes an expiry through Raft
     * @param tickMs   how often the leader looks for expired leases
     */
    public LeaseManager(Function<Command, CompletableFuture<ApplyResult>> proposer, ScheduledExecutorService scheduler,
                        LongSupplier nanoTime, Clock wallClock, long tickMs) {
        this.proposer = proposer;
        this.nanoTime = nanoTime;
        this.wallClock = wallClock;
        this.scheduler = scheduler;
        this.tickMs = tickMs;
    }

    /** Outcome of a keep-alive. */
    public record Renewal(long leaseId, boolean found, long ttlMs) {
    }

    /**
     * Renews a lease.
     *
     * @throws IllegalStateException if this node is not the leader
     */
    public Renewal keepAlive(long leaseId) {
        if (!leader) {
            throw new IllegalStateException("not the leader");
        }
        Lease l = leases.get(leaseId);
        if (l == null || expiring.contains(leaseId)) {
            return new Renewal(leaseId, false, 0);
        }
        l.deadline = nanoTime.getAsLong() + l.ttlNanos;
        return new Renewal(leaseId, true, TimeUnit.NANOSECONDS.toMillis(l.ttlNanos));
    }

    public boolean isLeader() {
        return leader;
    }

    public int size() {
        return leases.size();
    }

    /** Remaining time of a lease as seen here, for diagnostics. */
    public OptionalLong remainingMs(long leaseId) {
        Lease l = leases.get(leaseId);
        return l == null ? OptionalLong.empty()
                : OptionalLong.of(TimeUnit.NANOSECONDS.toMillis(l.deadline - nanoTime.getAsLong()));
    }

    @Override
    public void onEvents(List<Event> events) {
        long now = nanoTime.getAsLong();
        for (Event e : events) {
            Instance i = e.getInstance();
            switch (e.getType()) {
                case REGISTERED, UPDATED -> {
                    long ttl = TimeUnit.MILLISECONDS.toNanos(i.getLeaseTtlMs());
                    leases.put(i.getLeaseId(), new Lease(i.getLeaseId(), ttl, i.getModRevision(), now + ttl));
                    expiring.remove(i.getLeaseId());
                    lowerEarliest(now + ttl);
                }
                case HEALTH_CHANGED, MAINTENANCE_CHANGED -> {
                    // same lease and deadline; the expiry guard must carry the new mod_revision
                    Lease old = leases.get(i.getLeaseId());
                    if (old != null) {
                        leases.put(i.getLeaseId(), new Lease(old.id, old.ttlNanos, i.getModRevision(), old.deadline));
                    }
                }
                case DEREGISTERED, EXPIRED -> {
                    leases.remove(i.getLeaseId());
                    expiring.remove(i.getLeaseId());
                }
                default -> {
                }
            }
        }
    }

    private void lowerEarliest(long deadline) {
        earliestDeadline.accumulateAndGet(deadline, (cur, d) -> cur - d <= 0 ? cur : d);
    }

    @Override
    public void onReset(Collection<Instance> instances, long revision) {
        long now = nanoTime.getAsLong();
        leases.clear();
        expiring.clear();
        earliestDeadline.set(now);
        for (Instance i : instances) {
            long ttl = TimeUnit.MILLISECONDS.toNanos(i.getLeaseTtlMs());
            leases.put(i.getLeaseId(), new Lease(i.getLeaseId(), ttl, i.getModRevision(), now + ttl));
        }
    }

    @Override
    public void onLeaderStart(long term) {
        long now = nanoTime.getAsLong();
        leases.values().forEach(l -> l.deadline = now + l.ttlNanos);
        expiring.clear();
        earliestDeadline.set(now);
        leader = true;
        synchronized (this) {
            if (ticker == null && !closed) {
                try {
                    ticker = scheduler.scheduleWithFixedDelay(this::expireDue, tickMs, tickMs, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    log.debug("not scanning leases: the scheduler stopped (member shutting down)");
                }
            }
        }
        log.info("leader at term {}: {} leases get a fresh TTL", term, leases.size());
    }

    @Override
    public void onLeaderStop() {
        leader = false;
        stopTicking();
    }

    private synchronized void stopTicking() {
        if (ticker != null) {
            ticker.cancel(false);
            ticker = null;
        }
    }

    /** One scan for expired leases (the leader runs it every tick). */
    void expireDue() {
        if (!leader) {
            return;
        }
        long now = nanoTime.getAsLong();
        long earliest = earliestDeadline.get();
        if (now - earliest < 0) {
            return;
        }
        // a full scan; it also finds the next earliest deadline (a lease added meanwhile lowers it itself)
        long next = now + TimeUnit.SECONDS.toNanos(1);
        earliestDeadline.compareAndSet(earliest, next);
        for (Lease l : leases.values()) {
            long d = l.deadline;
            if (now - d < 0) {
                if (d - next < 0) {
                    next = d;
                    lowerEarliest(d);
                }
                continue;
            }
            if (expiring.add(l.id)) {
                Command cmd = Command.newBuilder()
                        .setExpireLease(ExpireLeaseCmd.newBuilder().setLeaseId(l.id).setModRevision(l.modRevision))
                        .setNowMs(wallClock.millis())
                        .build();
                proposer.apply(cmd).whenComplete((r, err) -> {
                    if (err != null) {
                        // retried on the next tick if still leader
                        expiring.remove(l.id);
                        lowerEarliest(nanoTime.getAsLong());
                        log.debug("expiry of lease {} not committed: {}", l.id, err.toString());
                    } else if (!r.changed()) {
                        expiring.remove(l.id);
                    } else {
                        log.info("lease {} expired: removed {}/{}", l.id, r.instance().getService(), r.instance().getId());
                    }
                });
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        stopTicking();
    }
}
