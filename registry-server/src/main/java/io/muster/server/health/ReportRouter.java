package io.muster.server.health;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.muster.api.v1.CheckReport;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.UpdateHealthRequest;
import io.muster.api.v1.UpdateHealthResponse;
import io.muster.internal.v1.ProposeResponse;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.InstanceKey;
import io.muster.server.catalog.Rules;
import io.muster.server.peer.PeerChannels;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings each TTL report to the member that owns the instance's checks: applied there, or sent
 * there once as a forwarded {@code UpdateHealth} (a forwarded report that finds its receiver no
 * longer owning the checks is refused with UNAVAILABLE, and the client's retry finds the new owner).
 */
final class ReportRouter {

    private static final Logger log = LoggerFactory.getLogger(ReportRouter.class);
    static final long FORWARD_DEADLINE_MS = 5_000;

    private final String selfId;
    private final Catalog catalog;
    private final ControlContext control;
    private final Function<InstanceKey, String> ownerOf;
    private final Function<InstanceKey, OwnedInstance> owned;
    private final PeerChannels peers;
    private final HealthStats stats;

    /**
     * @param control  the checker's serialized context (owner and owned instances are read there); a
     *                 report finding {@link ControlContext#MAX_PENDING_REPORTS} tasks waiting there is
     *                 refused with UNAVAILABLE (the client retries, or reports with its next keep-alive)
     * @param peers    calls to another member's peer listener
     */
    ReportRouter(String selfId, Catalog catalog, ControlContext control, Function<InstanceKey, String> ownerOf,
                 Function<InstanceKey, OwnedInstance> owned, PeerChannels peers, HealthStats stats) {
        this.selfId = selfId;
        this.catalog = catalog;
        this.control = control;
        this.ownerOf = ownerOf;
        this.owned = owned;
        this.peers = peers;
        this.stats = stats;
    }

    CompletableFuture<UpdateHealthResponse> updateHealth(UpdateHealthRequest request, boolean forwarded) {
        InstanceKey key = new InstanceKey(request.getNamespace(), request.getService(), request.getInstanceId());
        Instance in = catalog.read(v -> v.instance(key));
        if (in == null) {
            return CompletableFuture.failedFuture(Status.NOT_FOUND
                    .withDescription("instance " + key + " not found; register it first").asRuntimeException());
        }
        String check;
        try {
            check = ttlCheck(in, request.getReport().getCheckName(), "report.check_name");
        } catch (StatusRuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        UpdateHealthRequest resolved = request.toBuilder().setReport(request.getReport().toBuilder().setCheckName(check)).build();
        return route(key, resolved, forwarded);
    }

    void keepAlive(KeepAliveRequest request) {
        Instance in = catalog.read(v -> v.instanceByLease(request.getLeaseId()));
        if (in == null) {
            return; // removed right after the renewal: nothing to report on
        }
        List<UpdateHealthRequest> resolved = new ArrayList<>();
        for (int i = 0; i < request.getReportsCount(); i++) {
            CheckReport r = Rules.report("reports[" + i + "]", request.getReports(i));
            String check = ttlCheck(in, r.getCheckName(), "reports[" + i + "].check_name");
            resolved.add(UpdateHealthRequest.newBuilder().setNamespace(in.getNamespace()).setService(in.getService()).setInstanceId(in.getId())
                    .setReport(r.toBuilder().setCheckName(check)).build());
        }
        InstanceKey key = InstanceKey.of(in);
        for (UpdateHealthRequest r : resolved) {
            route(key, r, false).whenComplete((ok, e) -> {
                if (e != null) {
                    // the client reports again with its next keep-alive
                    log.debug("{}: keep-alive report for {} not applied: {}", selfId, key, e.toString());
                }
            });
        }
    }

    /** The name of the TTL check a report is for; an empty name means the instance's only TTL check. */
    static String ttlCheck(Instance in, String name, String field) {
        List<String> ttl = in.getChecksList().stream().filter(HealthCheck::hasTtl).map(HealthCheck::getName).toList();
        if (name.isEmpty() ? ttl.size() == 1 : ttl.contains(name)) {
            return name.isEmpty() ? ttl.get(0) : name;
        }
        InstanceKey key = InstanceKey.of(in);
        String expected = ttl.isEmpty() ? "a TTL check, but " + key + " has none"
                : name.isEmpty() ? "one of the TTL checks of " + key + ": " + ttl
                : "the name of a TTL check of " + key + ": " + ttl;
        throw Status.INVALID_ARGUMENT.withDescription(field + ": '" + name + "' (expected: " + expected + ")").asRuntimeException();
    }

    private CompletableFuture<UpdateHealthResponse> route(InstanceKey key, UpdateHealthRequest request, boolean forwarded) {
        CompletableFuture<UpdateHealthResponse> out = new CompletableFuture<>();
        boolean queued = control.offer(() -> {
            try {
                String owner = ownerOf.apply(key);
                if (selfId.equals(owner)) {
                    applyHere(key, request.getReport(), out);
                } else if (owner == null) {
                    out.completeExceptionally(unavailable("no live member runs the checks of " + key + " yet; retry"));
                } else if (forwarded) {
                    out.completeExceptionally(unavailable("member " + selfId + " does not run the checks of " + key
                            + " (by its view " + owner + " does); retry"));
                } else {
                    forward(owner, request, out);
                }
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        }, ControlContext.MAX_PENDING_REPORTS);
        if (!queued) {
            stats.reportsRefused.increment();
            out.completeExceptionally(unavailable("member " + selfId + " has " + ControlContext.MAX_PENDING_REPORTS
                    + "+ health tasks waiting; retry"));
        }
        return out;
    }

    private void applyHere(InstanceKey key, CheckReport report, CompletableFuture<UpdateHealthResponse> out) {
        OwnedInstance o = owned.apply(key);
        Optional<CompletableFuture<ProposeResponse>> proposal;
        try {
            if (o == null) {
                throw new IllegalStateException("checks of " + key + " are not running on " + selfId);
            }
            proposal = o.report(report.getCheckName(), report.getResult(), report.getNote());
        } catch (IllegalStateException e) {
            out.completeExceptionally(unavailable(e.getMessage() + "; retry"));
            return;
        }
        if (proposal.isEmpty()) {
            // no transition: answer with what the owner knows was committed (its catalog may lag)
            UpdateHealthResponse now = current(key);
            HealthStatus known = o.replicatedHealth();
            out.complete(known == HealthStatus.HEALTH_STATUS_UNSPECIFIED ? now : now.toBuilder().setHealth(known).build());
            return;
        }
        proposal.get().whenComplete((r, e) -> {
            if (e != null) {
                out.completeExceptionally(unavailable("report recorded, but the resulting health change is not committed yet: "
                        + Failures.describe(Failures.unwrap(e))));
            } else {
                out.complete(UpdateHealthResponse.newBuilder().setRevision(r.getRevision())
                        .setHealth(r.hasInstance() ? r.getInstance().getHealth() : HealthStatus.HEALTH_STATUS_UNSPECIFIED).build());
            }
        });
    }

    private UpdateHealthResponse current(InstanceKey key) {
        return catalog.read(v -> {
            Instance i = v.instance(key);
            return UpdateHealthResponse.newBuilder().setRevision(v.revision())
                    .setHealth(i == null ? HealthStatus.HEALTH_STATUS_UNSPECIFIED : i.getHealth()).build();
        });
    }

    private void forward(String owner, UpdateHealthRequest request, CompletableFuture<UpdateHealthResponse> out) {
        stats.reportsForwarded.increment();
        peers.callMember(owner, RegistryGrpc.getUpdateHealthMethod(), request, FORWARD_DEADLINE_MS)
                .whenComplete((r, e) -> {
                    if (e != null) {
                        out.completeExceptionally(e);
                    } else {
                        out.complete(r);
                    }
                });
    }

    private static StatusRuntimeException unavailable(String message) {
        return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
    }
}
