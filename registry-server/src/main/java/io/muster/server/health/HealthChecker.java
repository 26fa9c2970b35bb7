package io.muster.server.health;

import io.grpc.Context;
import io.muster.api.v1.Event;
import io.muster.api.v1.Instance;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.Member;
import io.muster.api.v1.UpdateHealthRequest;
import io.muster.api.v1.UpdateHealthResponse;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.ProposeResponse;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.CatalogListener;
import io.muster.server.catalog.InstanceKey;
import io.muster.server.peer.PeerChannels;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-side health checking of one member.
 *
 * <p>Every member tracks every instance that has checks (from the catalog's events) and runs the
 * checks of the instances it owns: the owner of an instance is chosen by {@link Rendezvous} hashing
 * of {@code service/id} over the members {@link MemberLiveness} sees alive, so the checks are spread
 * over the cluster and move (only those of the member that left) within about one probe round when
 * a member dies or joins. Probe results stay on the owner; only transitions past the rise / fall
 * thresholds are proposed, as {@code SetHealthCmd}s through the leader. TTL reports are routed to
 * the owner too, since it aggregates all the checks of an instance.
 *
 * <p>Threading: catalog events, membership changes and reports are handled in order on one
 * serialized context ({@link ControlContext} over the health pool); the apply thread only enqueues,
 * and only the events of instances that have (or just lost) checks ({@link CheckedInstances}).
 * Probes are asynchronous; nothing here blocks a pool thread on the network.
 *
 * <p>Threads, time and randomness come from the {@link HealthRuntime} and the probes from the
 * {@link Probing} the composition root passes in; this class creates neither, and closing it stops
 * only what it started (member probes, owned checks), not the runtime.
 */
public final class HealthChecker implements CatalogListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);
    /** Above this many queued catalog events the checker drops them and re-reads the catalog. */
    static final int MAX_PENDING_EVENTS = 100_000;
    /** The stall monitor should wake this often and record wake-ups later than the threshold. */
    public static final Duration STALL_TICK = Duration.ofMillis(10);
    public static final Duration STALL_THRESHOLD = Duration.ofMillis(50);

    /**
     * Settings of a member's health checking.
     *
     * @param selfId              this member's id
     * @param threads             health pool size (catalog events, proposals, gRPC and plugin probes);
     *                            HTTP and TCP probes are scheduled, run and handled on
     *                            {@code max(1, threads / 2)} event loop threads; read by whoever
     *                            builds the {@link HealthRuntime}
     * @param memberProbeInterval how often each other member's gRPC health service is probed
     * @param memberProbeTimeout  deadline of one member probe
     * @param missesToDead        consecutive missed member probes after which a member is dead
     * @param proposalTimeout     how long a transition proposal may retry (no leader, leader change)
     */
    public record Options(String selfId, int threads, Duration memberProbeInterval, Duration memberProbeTimeout,
                          int missesToDead, Duration proposalTimeout) {
        public Options {
            Objects.requireNonNull(selfId, "selfId");
            if (threads < 1 || threads > 64) {
                throw new IllegalArgumentException("threads: " + threads + " (expected: 1-64)");
            }
            if (missesToDead < 1) {
                throw new IllegalArgumentException("missesToDead: " + missesToDead + " (expected: >= 1)");
            }
            if (memberProbeTimeout.compareTo(memberProbeInterval) > 0) {
                throw new IllegalArgumentException("memberProbeTimeout: " + memberProbeTimeout
                        + " (expected: at most the interval " + memberProbeInterval + ")");
            }
        }

        /** Event loop threads for HTTP and TCP probes: one per two health threads. */
        public int ioThreads() {
            return Math.max(1, threads / 2);
        }

        /** Member probes every 500 ms with a 300 ms deadline; dead after 3 misses. */
        public static Options defaults(String selfId, int threads) {
            return new Options(selfId, threads, Duration.ofMillis(500), Duration.ofMillis(300), 3, Duration.ofSeconds(5));
        }
    }

    /** Counters, for diagnostics and benchmarks. */
    public record Stats(int owned, int tracked, int liveMembers, long probes, long probeFailures, long probesSkipped,
                        long timeoutsExcused, long proposals, long proposalFailures, long transitions, long reports, long reportsForwarded,
                        long reportsRefused, long resyncs) {
    }

    private final Options options;
    private final Catalog catalog;
    private final Function<Command, CompletableFuture<ProposeResponse>> proposer;
    private final HealthRuntime runtime;
    private final ControlContext control;
    private final Probing probing;
    private final CheckEnv env;
    private final HealthStats stats = new HealthStats();
    private final MemberLiveness liveness;
    private final ReportRouter reports;
    // catalog listener calls only (serialized by the catalog)
    private final CheckedInstances checked = new CheckedInstances();
    // written on the control context only
    private final Map<InstanceKey, Instance> tracked = new ConcurrentHashMap<>();
    private long seenRevision;
    private volatile boolean resyncPending;
    // written on the control context, read anywhere
    private final Map<InstanceKey, OwnedInstance> owned = new ConcurrentHashMap<>();
    private volatile Set<String> live = Set.of();
    private volatile boolean closed;

    /**
     * @param runtime  the pools, time and randomness to run on (its builder stops it, after this)
     * @param probing  opens and schedules the probes (its builder closes it, after this)
     * @param proposer proposes a command through the leader from this member
     * @param members  the cluster's members (id and peer address); those alive share the checks
     * @param peers    channels to the other members' peer listeners (liveness probes, TTL report routing)
     */
    public HealthChecker(Options options, HealthRuntime runtime, Probing probing, Catalog catalog,
                         Function<Command, CompletableFuture<ProposeResponse>> proposer,
                         Supplier<Collection<Member>> members, PeerChannels peers) {
        this.options = options;
        this.catalog = catalog;
        this.proposer = proposer;
        this.runtime = runtime;
        this.probing = probing;
        this.control = new ControlContext(options.selfId(), runtime.scheduler());
        this.env = new CheckEnv(options.selfId(), runtime, probing, this::propose, stats);
        this.liveness = new MemberLiveness(options.selfId(), members, peers, runtime.scheduler(), options.memberProbeInterval(),
                options.memberProbeTimeout(), options.missesToDead(), runtime.stalls(), runtime.nanoTime(), stats,
                set -> control.execute(() -> reassign(set)));
        this.reports = new ReportRouter(options.selfId(), catalog, control, this::ownerOf, owned::get,
                peers, stats);
    }

    // ---- catalog events (apply thread: enqueue only) ----

    @Override
    public void onEvents(List<Event> all) {
        // most instances have no checks: their events stop here, with no task on the health pool
        List<Event> events = checked.relevant(all);
        if (events.isEmpty() || resyncPending) {
            return;
        }
        if (control.pending() > MAX_PENDING_EVENTS) {
            // never block or grow without bound on the apply thread: re-read the catalog instead
            resyncPending = true;
            control.execute(this::resync);
            return;
        }
        control.execute(() -> {
            for (Event e : events) {
                try {
                    apply(e);
                } catch (RuntimeException ex) {
                    log.error("{}: health checker could not handle {} of {}/{}", options.selfId(), e.getType(),
                            e.getInstance().getService(), e.getInstance().getId(), ex);
                }
            }
        });
    }

    @Override
    public void onReset(Collection<Instance> instances, long revision) {
        checked.reset(instances);
        List<Instance> withChecks = instances.stream().filter(i -> i.getChecksCount() > 0).toList();
        control.execute(() -> reset(withChecks, revision));
    }

    private void resync() {
        stats.resyncs.increment();
        resyncPending = false;
        // events emitted after this read have higher revisions; those before are skipped by revision
        record State(List<Instance> instances, long revision) {
        }
        State s = catalog.read(v -> new State(v.allInstances().stream().filter(i -> i.getChecksCount() > 0).toList(), v.revision()));
        log.warn("{}: health checker fell {}+ events behind; re-read the catalog at revision {}", options.selfId(),
                MAX_PENDING_EVENTS, s.revision());
        reset(s.instances(), s.revision());
    }

    private void reset(List<Instance> instances, long revision) {
        tracked.clear();
        instances.forEach(i -> tracked.put(InstanceKey.of(i), i));
        seenRevision = revision;
        for (Map.Entry<InstanceKey, OwnedInstance> e : Map.copyOf(owned).entrySet()) {
            Instance now = tracked.get(e.getKey());
            if (now == null || !sameChecks(e.getValue().instance(), now)) {
                stopOwning(e.getKey());
            } else {
                e.getValue().onReplicated(now);
            }
        }
        reassign(live);
    }

    private void apply(Event e) {
        if (e.getRevision() <= seenRevision) {
            return; // already covered by a reset
        }
        seenRevision = e.getRevision();
        Instance i = e.getInstance();
        InstanceKey key = InstanceKey.of(i);
        switch (e.getType()) {
            case REGISTERED, UPDATED -> {
                if (i.getChecksCount() == 0) {
                    tracked.remove(key);
                    stopOwning(key);
                    return;
                }
                tracked.put(key, i);
                OwnedInstance o = owned.get(key);
                if (o != null && sameChecks(o.instance(), i)) {
                    o.onReplicated(i);
                } else {
                    stopOwning(key);
                    if (isMine(key)) {
                        startOwning(i);
                    }
                }
            }
            // maintenance does not stop the checks: the health is still reported while out of service
            case HEALTH_CHANGED, MAINTENANCE_CHANGED -> {
                if (tracked.containsKey(key)) {
                    tracked.put(key, i);
                }
                OwnedInstance o = owned.get(key);
                if (o != null) {
                    o.onReplicated(i);
                }
            }
            case DEREGISTERED, EXPIRED -> {
                tracked.remove(key);
                stopOwning(key);
            }
            default -> {
            }
        }
    }

    /** Same instance generation probing the same targets: the running checks can carry on. */
    private static boolean sameChecks(Instance running, Instance now) {
        return running.getCreateRevision() == now.getCreateRevision()
                && running.getHost().equals(now.getHost())
                && running.getPort() == now.getPort()
                && running.getChecksList().equals(now.getChecksList());
    }

    // ---- ownership (control context) ----

    private void reassign(Set<String> liveMembers) {
        live = liveMembers;
        if (closed) {
            return;
        }
        int started = 0;
        int stopped = 0;
        for (Instance i : tracked.values()) {
            InstanceKey key = InstanceKey.of(i);
            boolean mine = isMine(key);
            if (mine && !owned.containsKey(key)) {
                startOwning(i);
                started++;
            } else if (!mine && owned.containsKey(key)) {
                stopOwning(key);
                stopped++;
            }
        }
        log.info("{}: live members {}: owns the checks of {} instances (+{} -{}) of {}", options.selfId(), liveMembers,
                owned.size(), started, stopped, tracked.size());
    }

    private boolean isMine(InstanceKey key) {
        return options.selfId().equals(ownerOf(key));
    }

    /** The member that runs the checks of {@code key} by this member's view, or null. */
    String ownerOf(InstanceKey key) {
        return Rendezvous.owner(key.toString(), live).orElse(null);
    }

    private void startOwning(Instance i) {
        if (closed) {
            return;
        }
        OwnedInstance o = new OwnedInstance(env, i);
        try {
            o.start();
        } catch (RuntimeException e) {
            o.close();
            log.error("{}: could not start the checks of {}/{}", options.selfId(), i.getService(), i.getId(), e);
            return;
        }
        owned.put(o.key(), o);
    }

    private void stopOwning(InstanceKey key) {
        OwnedInstance o = owned.remove(key);
        if (o != null) {
            o.close();
        }
    }

    // ---- proposals ----

    private CompletableFuture<ProposeResponse> propose(Command cmd) {
        long timeoutMs = options.proposalTimeout().toMillis();
        // the deadline bounds the proposer's retries (no leader, leader change); the timer below
        // bounds the whole call, so a transition is never stuck "in flight". The deadline is on gRPC's
        // own clock (gRPC compares it with the deadlines of the calls it makes, and refuses a custom
        // ticker); the timer is on the runtime's, which is what the checker's logic depends on
        Context.CancellableContext ctx = Context.ROOT.withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS, runtime.scheduler());
        CompletableFuture<ProposeResponse> f;
        Context previous = ctx.attach();
        try {
            f = proposer.apply(cmd);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        } finally {
            ctx.detach(previous);
        }
        CompletableFuture<ProposeResponse> bounded = new CompletableFuture<>();
        var timer = runtime.scheduler().schedule(() -> bounded.completeExceptionally(
                new TimeoutException("not committed within " + (timeoutMs + 1000) + "ms")), timeoutMs + 1000, TimeUnit.MILLISECONDS);
        f.whenComplete((r, e) -> {
            timer.cancel(false);
            ctx.cancel(null);
            if (e != null) {
                bounded.completeExceptionally(e);
            } else {
                bounded.complete(r);
            }
        });
        return bounded;
    }

    // ---- TTL reports ----

    /**
     * A TTL report from {@code UpdateHealth} (already validated). Handled by the owner of the
     * instance's checks; another member forwards it there once.
     *
     * @param forwarded the call was forwarded by another member: serve it here or refuse
     */
    public CompletableFuture<UpdateHealthResponse> updateHealth(UpdateHealthRequest request, boolean forwarded) {
        return reports.updateHealth(request, forwarded);
    }

    /**
     * TTL reports riding on a keep-alive, called on the leader after the lease was renewed. Checks
     * that every report names a TTL check of the lease's instance (throws {@code INVALID_ARGUMENT}
     * otherwise), then routes them to the owner without waiting.
     */
    public void acceptKeepAlive(KeepAliveRequest request) {
        reports.keepAlive(request);
    }

    // ---- diagnostics: package-private, for the tests of this package (which member runs which
    // check is nothing the API answers; the gauges give the counts) ----

    /** Instances whose checks this member runs now (read-only copy). */
    Set<InstanceKey> ownedInstances() {
        return Set.copyOf(owned.keySet());
    }

    /** Members this member sees alive (and shares the checks with). */
    Set<String> liveMembers() {
        return live;
    }

    /** The member that runs the checks of {@code namespace/service/id} by this member's view. */
    Optional<String> owner(String namespace, String service, String id) {
        return Optional.ofNullable(ownerOf(new InstanceKey(namespace, service, id)));
    }

    /**
     * Types of the custom-check plugins this member can run, sorted; a registration naming another
     * type is refused, since no probe could ever take its instance out of PENDING.
     */
    public SortedSet<String> pluginTypes() {
        return probing.pluginTypes();
    }

    public Stats stats() {
        return stats.snapshot(owned.size(), tracked.size(), live.size());
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        liveness.close();
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        control.execute(() -> {
            owned.keySet().forEach(this::stopOwning);
            stopped.complete(null);
        });
        try {
            stopped.get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            owned.values().forEach(OwnedInstance::close);
        }
    }
}
