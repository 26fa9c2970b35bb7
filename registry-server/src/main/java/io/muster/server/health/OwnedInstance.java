package io.muster.server.health;

import io.muster.api.v1.CheckResult;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.ProposeResponse;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.server.catalog.InstanceKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks of one instance while this member owns them: a fixed-rate schedule per probed check
 * (first probe jittered over the interval), a deadline timer per TTL check, and the proposals of
 * the transitions its {@link InstanceModel} decides.
 *
 * <p>Threading: every method locks this object briefly (uncontended: one instance's inputs rarely
 * meet); probes run outside the lock. A probe with an event loop ({@link Probe#eventLoop()}: HTTP,
 * TCP) is scheduled on that loop by {@link Probing} (in rounds shared with the other probes due in
 * the same tick) and its result handled there, so a steady probe costs no hand-off
 * between threads; other probes are scheduled on the health pool and their results come back
 * there. Proposals (transitions only) are made from the health pool, never from an event loop.
 * After {@link #close} nothing more is started or proposed.
 */
final class OwnedInstance {

    private static final Logger log = LoggerFactory.getLogger(OwnedInstance.class);
    static final long PROPOSAL_RETRY_MS = 1000;

    private final CheckEnv env;
    private final Instance instance;
    private final InstanceModel model;
    private final Map<String, Probed> probes = new HashMap<>();
    private final Map<String, ScheduledFuture<?>> timers = new HashMap<>();
    private CompletableFuture<ProposeResponse> proposal;
    private ScheduledFuture<?> retry;
    private boolean closed;

    OwnedInstance(CheckEnv env, Instance instance) {
        this.env = env;
        this.instance = instance;
        this.model = new InstanceModel(instance, env.nanoTime().getAsLong());
    }

    InstanceKey key() {
        return model.key();
    }

    Instance instance() {
        return instance;
    }

    synchronized void start() {
        for (HealthCheck c : instance.getChecksList()) {
            String name = c.getName();
            if (c.hasTtl()) {
                armTtl(name);
                continue;
            }
            Probe p;
            try {
                p = env.probing().open(instance, c);
            } catch (RuntimeException e) {
                ProbeResult cannot = ProbeResult.fail("cannot probe: " + Failures.describe(e));
                p = () -> CompletableFuture.completedFuture(cannot);
            }
            Probed probed = new Probed(name, p, TimeUnit.MILLISECONDS.toNanos(c.getTimeoutMs()), Math.max(1, c.getFall()));
            probes.put(name, probed);
            long interval = c.getIntervalMs();
            probed.schedule = env.probing().scheduleAtFixedRate(p, probed,
                    TimeUnit.MILLISECONDS.toNanos(env.firstDelayMs(interval)), TimeUnit.MILLISECONDS.toNanos(interval));
        }
    }

    /** One probed check: its schedule's task and its result callback (no allocation per probe but the probe's own). */
    private final class Probed implements Runnable, BiConsumer<ProbeResult, Throwable> {
        final String name;
        final Probe probe;
        final boolean onLoop;
        final long timeoutNanos;
        /** Timeouts in a row that a stall of this member may excuse; the next one counts. */
        final int maxExcused;
        Probing.Schedule schedule; // guarded by OwnedInstance.this
        boolean running; // guarded by OwnedInstance.this
        long startedNanos; // guarded by OwnedInstance.this
        int excusedInARow; // guarded by OwnedInstance.this

        Probed(String name, Probe probe, long timeoutNanos, int maxExcused) {
            this.name = name;
            this.probe = probe;
            this.onLoop = probe.eventLoop() != null;
            this.timeoutNanos = timeoutNanos;
            this.maxExcused = maxExcused;
        }

        /** The schedule fired. */
        @Override
        public void run() {
            synchronized (OwnedInstance.this) {
                if (closed) {
                    return;
                }
                if (running) {
                    // the previous probe has not finished: never two probes of one check at once
                    env.stats().probesSkipped.increment();
                    return;
                }
                running = true;
                env.stalls().watch();
                startedNanos = env.nanoTime().getAsLong();
            }
            env.stats().probes.increment();
            CompletableFuture<ProbeResult> f;
            try {
                f = probe.run();
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            if (onLoop) {
                f.whenComplete(this);
            } else {
                f.whenCompleteAsync(this, env.scheduler());
            }
        }

        /** The probe finished. */
        @Override
        public void accept(ProbeResult r, Throwable e) {
            onProbe(this, e == null ? r : ProbeResult.fail("probe failed: " + Failures.describe(Failures.unwrap(e))));
        }
    }

    private synchronized void onProbe(Probed check, ProbeResult result) {
        check.running = false;
        boolean excused;
        try {
            excused = !closed && result.timedOut() && check.excusedInARow < check.maxExcused
                    && env.stalls().excuses(check.startedNanos, env.nanoTime().getAsLong(), check.timeoutNanos);
        } finally {
            env.stalls().unwatch(); // the watch() of this probe's start: running pairs them
        }
        if (closed) {
            return;
        }
        if (excused) {
            // this member was paused or starved for much of the wait: the timeout says nothing about
            // the target, so it counts neither way (but only so many times in a row)
            check.excusedInARow++;
            env.stats().timeoutsExcused.increment();
            return;
        }
        check.excusedInARow = 0;
        if (!result.ok()) {
            env.stats().probeFailures.increment();
        }
        model.onProbe(check.name, result).ifPresent(this::propose);
    }

    /**
     * A TTL report for {@code check}.
     *
     * @return the proposal in flight after the report (the transition it caused, or an earlier one),
     *         empty if the catalog already has the status the checks call for
     */
    synchronized Optional<CompletableFuture<ProposeResponse>> report(String check, CheckResult result, String note) {
        if (closed) {
            throw new IllegalStateException("checks of " + key() + " are no longer owned here");
        }
        env.stats().reports.increment();
        model.onReport(check, result, note, env.nanoTime().getAsLong()).ifPresent(this::propose);
        if (!timers.containsKey(check)) {
            armTtl(check); // it stopped at the last expiry
        }
        return Optional.ofNullable(proposal);
    }

    private void armTtl(String check) {
        long left = Math.max(0, model.ttlNanosLeft(check, env.nanoTime().getAsLong()));
        timers.put(check, env.scheduler().schedule(() -> ttlTimer(check), left, TimeUnit.NANOSECONDS));
    }

    private synchronized void ttlTimer(String check) {
        timers.remove(check);
        if (closed) {
            return;
        }
        long now = env.nanoTime().getAsLong();
        if (model.ttlNanosLeft(check, now) > 0) {
            armTtl(check); // a report moved the deadline
            return;
        }
        // expired: no timer until the next report
        model.onTtlTimer(check, now).ifPresent(this::propose);
    }

    /** The catalog changed the instance's health (as applied on this member). */
    /** The replicated status as this owner knows it (its own committed proposals included). */
    synchronized HealthStatus replicatedHealth() {
        return model.replicated();
    }

    synchronized void onReplicated(Instance changed) {
        model.onReplicated(changed);
    }

    private void propose(Verdict v) {
        HealthStatus from = model.replicated();
        Command cmd = Command.newBuilder()
                .setSetHealth(SetHealthCmd.newBuilder()
                        .setNamespace(instance.getNamespace())
                        .setService(instance.getService())
                        .setInstanceId(instance.getId())
                        .setHealth(v.status())
                        .setReason(v.reason())
                        .setCreateRevision(model.createRevision()))
                .setNowMs(env.clock().millis())
                .build();
        env.stats().proposals.increment();
        CompletableFuture<ProposeResponse> f;
        try {
            // possibly called on a probe's event loop: the proposer (a Raft apply or a call to the
            // leader) runs on the health pool, so no I/O thread ever waits on it
            f = CompletableFuture.completedFuture(cmd).thenComposeAsync(env.proposer(), env.scheduler());
        } catch (RejectedExecutionException e) {
            f = CompletableFuture.failedFuture(e);
        }
        proposal = f;
        try {
            f.whenCompleteAsync((r, e) -> proposed(v, from, r, e), env.scheduler());
        } catch (RejectedExecutionException e) {
            // the member is stopping
        }
    }

    private synchronized void proposed(Verdict v, HealthStatus from, ProposeResponse r, Throwable error) {
        proposal = null;
        if (error != null) {
            env.stats().proposalFailures.increment();
            String why = Failures.describe(Failures.unwrap(error));
            if (env.stats().warnNow(env.nanoTime().getAsLong())) {
                log.warn("{}: health transition of {} {} -> {} ({}) not committed, will retry: {} ({} similar failures since the last warning)",
                        env.selfId(), key(), from, v.status(), v.reason(), why, env.stats().takeSuppressed());
            } else {
                log.debug("{}: health transition of {} {} -> {} not committed, will retry: {}", env.selfId(), key(), from, v.status(), why);
            }
            model.proposalDone(null);
            scheduleRetry();
            return;
        }
        if (r.getChanged()) {
            env.stats().transitions.increment();
            log.info("{}: {} {} -> {} ({}) at revision {}", env.selfId(), key(), from, v.status(), v.reason(), r.getRevision());
        }
        Optional<Verdict> next = model.proposalDone(r.hasInstance() ? r.getInstance() : null);
        if (!closed) {
            next.ifPresent(this::propose);
        }
    }

    /** TTL-only instances have no next probe to retry at: retry on a timer as well. */
    private void scheduleRetry() {
        if (closed || (retry != null && !retry.isDone())) {
            return;
        }
        try {
            retry = env.scheduler().schedule(() -> {
                synchronized (OwnedInstance.this) {
                    if (!closed) {
                        model.decide().ifPresent(this::propose);
                    }
                }
            }, PROPOSAL_RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the member is stopping
        }
    }

    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        timers.values().forEach(t -> t.cancel(false));
        timers.clear();
        if (retry != null) {
            retry.cancel(false);
        }
        probes.values().forEach(p -> {
            if (p.schedule != null) {
                p.schedule.cancel();
            }
            p.probe.close();
        });
        probes.clear();
    }
}
