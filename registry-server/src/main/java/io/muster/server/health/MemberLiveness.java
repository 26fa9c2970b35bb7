package io.muster.server.health;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Member;
import io.muster.server.peer.PeerChannels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which members are alive, as seen from this one: every {@code interval} it calls each other
 * member's {@code grpc.health.v1.Health/Check} on its peer listener with a short deadline (a member without a valid peer address in the directory is not probed, so it stays dead). A member that answers SERVING
 * is alive; one that misses {@code misses} probes in a row (no answer, an error, or NOT_SERVING
 * while it shuts down) is dead, and is alive again only after answering as many probes in a row. A miss
 * while this member itself was stalled ({@link StallMonitor}) does not count, up to {@code misses}
 * times in a row, so a GC pause here does not declare the others dead. Members start dead and the first live set is published once the
 * first round of probes has finished, so a starting member neither claims every check nor leaves
 * them unowned.
 *
 * <p>Threading: state is guarded by {@code this}; the listener is called with each new live set
 * (member ids, sorted) while the lock is held, so it must only hand the set off.
 */
final class MemberLiveness implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MemberLiveness.class);

    private static final class Peer {
        final Member member;
        final ManagedChannel channel;
        int misses;
        int successes;
        int excusedInARow;
        boolean alive;
        boolean seenAlive;
        boolean probing;

        Peer(Member member, ManagedChannel channel) {
            this.member = member;
            this.channel = channel;
        }
    }

    private final String selfId;
    private final Supplier<Collection<Member>> members;
    private final PeerChannels channels;
    private final long timeoutMs;
    private final int missesToDead;
    private final Consumer<Set<String>> listener;
    private final StallMonitor stalls;
    private final LongSupplier nanoTime;
    private final HealthStats stats;
    private final Map<String, Peer> peers = new HashMap<>();
    private final ScheduledFuture<?> ticker;
    private boolean selfMember;
    private boolean ready;
    private boolean closed;
    private Set<String> published = Set.of();

    MemberLiveness(String selfId, Supplier<Collection<Member>> members, PeerChannels channels, ScheduledExecutorService scheduler,
                   Duration interval, Duration timeout, int missesToDead, StallMonitor stalls, LongSupplier nanoTime,
                   HealthStats stats, Consumer<Set<String>> listener) {
        this.selfId = selfId;
        this.stalls = stalls;
        this.nanoTime = nanoTime;
        this.stats = stats;
        this.members = members;
        this.channels = channels;
        this.timeoutMs = timeout.toMillis();
        this.missesToDead = missesToDead;
        this.listener = listener;
        this.ticker = scheduler.scheduleWithFixedDelay(this::tick, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void tick() {
        List<CompletableFuture<Void>> round = new ArrayList<>();
        try {
            Collection<Member> current = members.get();
            synchronized (this) {
                if (closed) {
                    return;
                }
                sync(current);
                for (Peer p : peers.values()) {
                    if (!p.probing) {
                        p.probing = true;
                        round.add(probe(p));
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("{}: member liveness round failed", selfId, e);
        }
        boolean first;
        synchronized (this) {
            first = !ready;
        }
        if (first) {
            CompletableFuture.allOf(round.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
                synchronized (this) {
                    ready = true;
                }
                publish();
            });
        } else {
            publish();
        }
    }

    private void sync(Collection<Member> current) {
        Set<String> seen = new HashSet<>();
        selfMember = false;
        for (Member m : current) {
            if (m.getId().equals(selfId)) {
                selfMember = true;
                continue;
            }
            ManagedChannel channel = channels.channel(m).orElse(null);
            if (channel == null) {
                continue;
            }
            seen.add(m.getId());
            Peer p = peers.get(m.getId());
            if (p == null || p.channel != channel) {
                // the channels are shared (PeerChannels owns them): a moved member gets a new one
                peers.put(m.getId(), new Peer(m, channel));
            }
        }
        peers.keySet().removeIf(id -> !seen.contains(id));
    }

    private CompletableFuture<Void> probe(Peer p) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        // after a member died, notice its return at the next probe, not after gRPC's reconnect backoff
        if (p.channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            p.channel.resetConnectBackoff();
        }
        stalls.watch(); // until result(): a probe's answer comes exactly once
        long started = nanoTime.getAsLong();
        // the answer is handled on the channel's event loop (a few lines under this object's lock, the
        // listener only hands the set off): not a hand-off to the peer channels' pool per callback
        HealthGrpc.newStub(p.channel).withExecutor(MoreExecutors.directExecutor()).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
                .check(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
                    @Override
                    public void onNext(HealthCheckResponse r) {
                        result(p, r.getStatus() == HealthCheckResponse.ServingStatus.SERVING, r.getStatus().toString());
                    }

                    @Override
                    public void onError(Throwable t) {
                        result(p, false, io.grpc.Status.fromThrowable(t).getCode().toString());
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }

                    private void result(Peer peer, boolean ok, String what) {
                        boolean excusable;
                        try {
                            excusable = !ok && stalls.excuses(started, nanoTime.getAsLong(), TimeUnit.MILLISECONDS.toNanos(timeoutMs));
                        } finally {
                            stalls.unwatch();
                        }
                        synchronized (MemberLiveness.this) {
                            peer.probing = false;
                            if (ok) {
                                peer.excusedInARow = 0;
                                peer.misses = 0;
                                peer.successes++;
                                // a member seen dead must answer as many probes in a row as it missed before it
                                // takes checks back: a member flapping under load does not move them each time
                                if (!peer.alive && (!peer.seenAlive || peer.successes >= missesToDead)) {
                                    log.info("{}: member {} is alive", selfId, peer.member.getId());
                                    peer.alive = true;
                                    peer.seenAlive = true;
                                }
                            } else if (peer.excusedInARow < missesToDead && excusable) {
                                // this member was paused or starved for much of the wait: the miss says
                                // nothing about the peer (only so many times in a row, though)
                                peer.excusedInARow++;
                                stats.timeoutsExcused.increment();
                            } else {
                                peer.excusedInARow = 0;
                                peer.successes = 0;
                                peer.misses++;
                                // members start dead, so a member never seen alive stays dead
                                if (peer.alive && peer.misses >= missesToDead) {
                                    peer.alive = false;
                                    log.info("{}: member {} is dead ({} probes missed, last: {})", selfId,
                                            peer.member.getId(), peer.misses, what);
                                }
                            }
                        }
                        done.complete(null);
                    }
                });
        return done;
    }

    private void publish() {
        synchronized (this) {
            if (!ready || closed) {
                return;
            }
            java.util.SortedSet<String> s = new TreeSet<>();
            if (selfMember) {
                s.add(selfId);
            }
            peers.values().stream().filter(p -> p.alive).forEach(p -> s.add(p.member.getId()));
            if (s.equals(published)) {
                return;
            }
            published = Collections.unmodifiableSortedSet(s);
            log.info("{}: live members for health checking: {}", selfId, published);
            // under the lock so that listeners see the sets in order; the listener only enqueues
            listener.accept(published);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        ticker.cancel(false);
        peers.clear();
    }
}
