package io.muster.server.health;

import io.muster.api.v1.CheckResult;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.server.catalog.InstanceKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the owning member knows about one instance's health: the state of each check, the status
 * the catalog has (as replicated here) and the transition being proposed, if any. Every input
 * returns the transition to propose, if one is due; the caller proposes it and reports back with
 * {@link #proposalDone}. At most one transition is in flight, so the same transition is never
 * proposed twice concurrently; a failed proposal is retried at the next input.
 *
 * <p>Pure logic with time passed in: not thread-safe, the caller serializes.
 */
final class InstanceModel {

    private static final class Check {
        final HealthCheck definition;
        final CheckState state;
        final TtlDeadline ttl;

        Check(HealthCheck definition, CheckState state, TtlDeadline ttl) {
            this.definition = definition;
            this.state = state;
            this.ttl = ttl;
        }
    }

    private final InstanceKey key;
    private final long createRevision;
    private final Map<String, Check> checks = new LinkedHashMap<>();
    private HealthStatus replicated;
    private long replicatedModRevision;
    private HealthStatus inFlight;
    /**
     * The last {@link #decide} found nothing to propose and no input that could change that has
     * arrived since: a steady probe then costs no aggregation.
     */
    private boolean quiet;

    /** Starts from the instance's replicated status, with fresh counters and TTL deadlines. */
    InstanceModel(Instance instance, long nowNanos) {
        this.key = InstanceKey.of(instance);
        this.createRevision = instance.getCreateRevision();
        this.replicated = instance.getHealth();
        this.replicatedModRevision = instance.getModRevision();
        for (HealthCheck c : instance.getChecksList()) {
            boolean ttl = c.hasTtl();
            // TTL reports are the instance's own verdict: no rise / fall damping
            CheckState state = new CheckState(ttl ? 1 : c.getRise(), ttl ? 1 : c.getFall(),
                    CheckStatus.initial(instance.getHealth(), ttl), instance.getHealthReason());
            checks.put(c.getName(), new Check(c, state, ttl ? new TtlDeadline(c.getTtl().getTtlMs(), nowNanos) : null));
        }
    }

    InstanceKey key() {
        return key;
    }

    long createRevision() {
        return createRevision;
    }

    HealthStatus replicated() {
        return replicated;
    }

    /** Target of the proposal in flight, or null. */
    HealthStatus inFlight() {
        return inFlight;
    }

    CheckStatus checkStatus(String check) {
        return require(check).state.status();
    }

    /** Result of a probe of a probed (non-TTL) check. */
    Optional<Verdict> onProbe(String check, ProbeResult result) {
        record(require(check), result);
        return decide();
    }

    private void record(Check c, ProbeResult result) {
        if (c.state.record(result).isPresent()) {
            quiet = false;
        }
    }

    /** A TTL report (from UpdateHealth or a keep-alive stream); takes effect at once. */
    Optional<Verdict> onReport(String check, CheckResult result, String note, long nowNanos) {
        Check c = require(check);
        if (c.ttl == null) {
            throw new IllegalArgumentException("check '" + check + "' of " + key + " is not a TTL check");
        }
        c.ttl.reported(nowNanos);
        record(c, TtlDeadline.fromReport(result, note));
        return decide();
    }

    /** The TTL timer of {@code check} fired: fails the check if its deadline passed. */
    Optional<Verdict> onTtlTimer(String check, long nowNanos) {
        Check c = require(check);
        if (c.ttl != null && c.ttl.takeExpiry(nowNanos)) {
            record(c, c.ttl.expiry());
        }
        return decide();
    }

    /** Nanos until the TTL deadline of {@code check}. */
    long ttlNanosLeft(String check, long nowNanos) {
        Check c = require(check);
        return c.ttl == null ? Long.MAX_VALUE : c.ttl.nanosLeft(nowNanos);
    }

    /** The catalog changed the instance (as applied on this member). Older news is ignored. */
    void onReplicated(Instance instance) {
        if (instance.getCreateRevision() == createRevision && instance.getModRevision() > replicatedModRevision) {
            replicated = instance.getHealth();
            replicatedModRevision = instance.getModRevision();
            quiet = false;
        }
    }

    /**
     * The proposal in flight finished.
     *
     * @param result the instance after the proposal (null if it failed or the instance is gone)
     * @return the next transition, if the checks moved on meanwhile; after a failure, nothing until
     *         the next input (that is the retry)
     */
    Optional<Verdict> proposalDone(Instance result) {
        inFlight = null;
        quiet = false; // after a failure, the next input retries
        if (result == null) {
            return Optional.empty();
        }
        onReplicated(result);
        return decide();
    }

    /** The transition due now, if any; marks it in flight. */
    Optional<Verdict> decide() {
        if (inFlight != null || quiet) {
            return Optional.empty();
        }
        List<Aggregation.Named> named = new ArrayList<>(checks.size());
        checks.forEach((name, c) -> named.add(new Aggregation.Named(name, c.state.status(), c.state.reason())));
        Optional<Verdict> v = Aggregation.of(named);
        if (v.isEmpty() || v.get().status() == replicated) {
            quiet = true;
            return Optional.empty();
        }
        inFlight = v.get().status();
        return v;
    }

    private Check require(String check) {
        Check c = checks.get(check);
        if (c == null) {
            throw new IllegalArgumentException("no check '" + check + "' on " + key);
        }
        return c;
    }
}
