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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks of one instance while this member owns them: a fixed-rate schedule per probed check
 * (first probe jittered over the interval), a deadline timer per TTL check, and the proposals of
 * the transitions its {@link InstanceModel} decides.
 *
 * <p>Threading: every method locks this object briefly; probes run outside the lock, results and
 * proposal outcomes come back on the health pool. After {@link #close} nothing more is started or
 * proposed.
 */
final class OwnedInstance {

    private static final Logger log = LoggerFactory.getLogger(OwnedInstance.class);
    static final long PROPOSAL_RETRY_MS = 1000;

    private final CheckEnv env;
    private final Instance instance;
    private final InstanceModel model;
    private final Map<String, Probe> probes = new HashMap<>();
    private final Map<String, ScheduledFuture<?>> timers = new HashMap<>();
    private final Set<String> probing = new HashSet<>();
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
                p = env.probers().open(instance, c);
            } catch (RuntimeException e) {
                ProbeResult cannot = ProbeResult.fail("cannot probe: " + Failures.describe(e));
                p = () -> CompletableFuture.completedFuture(cannot);
            }
            probes.put(name, p);
            long interval = c.getIntervalMs();
            timers.put(name, env.scheduler().scheduleAtFixedRate(() -> tick(name),
                    env.firstDelayMs().applyAsLong(interval), interval, TimeUnit.MILLISECONDS));
        }
    }

    private void tick(String check) {
        Probe p;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (!probing.add(check)) {
                // the previous probe has not finished: never two probes of one check at once
                env.stats().probesSkipped.increment();
                return;
            }
            p = probes.get(check);
        }
        env.stats().probes.increment();
        p.run().whenCompleteAsync((r, e) -> onProbe(check, e == null ? r
                : ProbeResult.fail("probe failed: " + Failures.describe(Failures.unwrap(e)))), env.scheduler());
    }

    private synchronized void onProbe(String check, ProbeResult result) {
        probing.remove(check);
        if (closed) {
            return;
        }
        if (!result.ok()) {
            env.stats().probeFailures.increment();
        }
        model.onProbe(check, result).ifPresent(this::propose);
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
            f = env.proposer().apply(cmd);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        proposal = f;
        f.whenCompleteAsync((r, e) -> proposed(v, from, r, e), env.scheduler());
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

    /** Settled status of each check, for diagnostics. */
    synchronized Map<String, CheckStatus> checkStatuses() {
        Map<String, CheckStatus> out = new LinkedHashMap<>();
        instance.getChecksList().forEach(c -> out.put(c.getName(), model.checkStatus(c.getName())));
        return out;
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
        probes.values().forEach(Probe::close);
        probes.clear();
    }
}
