package io.muster.server.api;

import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.KeepAliveResponse;
import io.grpc.ManagedChannel;
import io.muster.api.v1.RegistryGrpc;
import io.muster.server.lease.LeaseManager;
import io.muster.server.catalog.Catalog;
import io.muster.server.catalog.Principal;
import io.muster.server.catalog.Rules;
import io.muster.server.peer.Forwarder;
import io.muster.server.raft.LeadershipListener;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Keep-alive streams. The leader renews leases in memory; a follower relays the whole stream to the
 * leader. A stream never renews against a node that no longer enforces leases: when this member
 * steps down, its own streams relay their next keep-alive to the new leader, and the streams other
 * members relayed here end with UNAVAILABLE (their member relays elsewhere or its client reconnects).
 *
 * <p>When this member's leader changes (it starts or stops following one, or becomes leader), its
 * relays are dropped, and the next keep-alive of each stream goes to the new leader. Without that, a
 * relay to a leader that froze (a long pause, a VM stall: its connections stay open) would carry
 * keep-alives nowhere while the other members elect a new leader, which gives every lease a fresh
 * TTL and expires it if no keep-alive arrives within it (issue 18). A keep-alive that arrives while
 * this member has no leader waits for one (the stream reads nothing meanwhile), at most
 * {@link #MAX_LEADERLESS_WAIT_MS}, then the stream ends with UNAVAILABLE so the client tries another
 * member. Leadership callbacks come on jraft's state machine thread and are handed to the scheduler.
 *
 * <p>A stream reads its next request only once the client reads the answers (the response side is
 * ready), so a client that sends without reading fills its own HTTP/2 window, never this member's
 * memory. A request naming no lease ({@code lease_id <= 0}) is answered {@code found = false,
 * ttl_ms = 0}, like an unknown lease; the stream keeps serving its other leases.
 */
public final class KeepAliveHandler implements LeadershipListener {

    /** Like the forwarder's cap on unary calls: an election normally takes one to two election timeouts. */
    static final long MAX_LEADERLESS_WAIT_MS = 3_000;

    private final LeaseManager leases;
    private final Forwarder forwarder;
    private final String selfId;
    private final Consumer<KeepAliveRequest> reports;
    private final ScheduledExecutorService scheduler;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final Catalog catalog;

    /**
     * @param reports   receives requests that carry TTL-check reports (after their lease was renewed)
     * @param scheduler runs the leadership changes' work on the streams and the leaderless wait limit
     */
    public KeepAliveHandler(String selfId, LeaseManager leases, Forwarder forwarder, Consumer<KeepAliveRequest> reports,
                            ScheduledExecutorService scheduler, Catalog catalog) {
        this.selfId = selfId;
        this.catalog = catalog;
        this.leases = leases;
        this.forwarder = forwarder;
        this.reports = reports;
        this.scheduler = scheduler;
    }

    StreamObserver<KeepAliveRequest> open(ServerCallStreamObserver<KeepAliveResponse> down) {
        down.disableAutoRequest();
        Principal principal = AclInterceptor.principal();
        Session session = new Session(down, Forwarder.isForwarded(), principal == null ? null : principal.accessorId());
        sessions.add(session);
        down.request(1);
        return session;
    }

    @Override
    public void onLeaderStart(long term) {
        leaderChanged();
    }

    @Override
    public void onLeaderStop() {
        leaderChanged();
    }

    @Override
    public void onStartFollowing(long term) {
        leaderChanged();
    }

    @Override
    public void onStopFollowing() {
        leaderChanged();
    }

    /** On the apply thread after an ACL change: the streams of deleted tokens end, on the scheduler. */
    public void aclChanged() {
        try {
            scheduler.execute(() -> sessions.forEach(Session::aclChanged));
        } catch (RejectedExecutionException e) {
            // shutting down: the streams end with the server
        }
    }

    /** On jraft's state machine thread: the streams are re-routed on the scheduler. */
    private void leaderChanged() {
        try {
            scheduler.execute(() -> sessions.forEach(Session::leaderChanged));
        } catch (RejectedExecutionException e) {
            // shutting down: the streams end with the server
        }
    }

    private final class Session implements StreamObserver<KeepAliveRequest> {
        private final ServerCallStreamObserver<KeepAliveResponse> down;
        private final boolean forwarded;
        private StreamObserver<KeepAliveRequest> upstream;
        private boolean done;
        /** The next request is wanted but the client has not read the last answers yet. */
        private boolean wantsNext;
        /** A request waiting for this member to know a leader, and the limit of that wait. */
        private KeepAliveRequest waiting;
        private ScheduledFuture<?> waitLimit;

        /** The token of the stream (ACLs on, the member the client called), or null. */
        private final String accessor;

        Session(ServerCallStreamObserver<KeepAliveResponse> down, boolean forwarded, String accessor) {
            this.down = down;
            this.forwarded = forwarded;
            this.accessor = accessor;
            down.setOnCancelHandler(this::cancelled);
            down.setOnReadyHandler(this::ready);
        }

        /** On the scheduler, after an ACL change: a stream whose token was deleted ends. */
        private synchronized void aclChanged() {
            if (!done && accessor != null && catalog.acl().principal(accessor) == null) {
                fail(AclInterceptor.revoked(accessor));
            }
        }

        /**
         * Null if the stream's token may renew {@code leaseId}: write on its instance's service (in its namespace). A
         * lease this member does not know (not applied here yet, or gone) is passed on: the leader
         * answers it, and renewing an unknown lease changes nothing.
         */
        private Status aclRefusal(long leaseId) {
            if (accessor == null) {
                return null;
            }
            Principal p = catalog.acl().principal(accessor);
            if (p == null) {
                return AclInterceptor.revoked(accessor);
            }
            io.muster.api.v1.Instance i = catalog.read(v -> v.instanceByLease(leaseId));
            return i == null || p.canWrite(i.getNamespace(), i.getService()) ? null
                    : AclInterceptor.denied(AclInterceptor.write(i.getNamespace(), i.getService()), p);
        }

        /** On the scheduler, after this member's leader changed. */
        private synchronized void leaderChanged() {
            if (done) {
                return;
            }
            if (forwarded) {
                if (!leases.isLeader()) {
                    // relayed here by a member that still takes this one for the leader
                    fail(Status.UNAVAILABLE.withDescription("not the leader any more (forwarded keep-alive); reconnect"));
                }
                return;
            }
            if (upstream != null) {
                // the relay may lead to a member that froze or lost an election: the next keep-alive
                // goes to the leader as known now; answers still in flight on the old relay are dropped
                StreamObserver<KeepAliveRequest> old = upstream;
                upstream = null;
                old.onError(Status.CANCELLED.withDescription("leader changed").asRuntimeException());
            }
            if (waiting != null) {
                KeepAliveRequest request = waiting;
                waiting = null;
                waitLimit.cancel(false);
                route(request);
            }
        }

        /** Under the monitor: the request waits for a leader (no further request is read meanwhile). */
        private void waitForLeader(KeepAliveRequest request) {
            boolean first = waiting == null;
            waiting = request;
            if (first) {
                try {
                    waitLimit = scheduler.schedule(this::leaderlessTooLong, MAX_LEADERLESS_WAIT_MS, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    fail(Status.UNAVAILABLE.withDescription("member shutting down"));
                }
            }
        }

        private synchronized void leaderlessTooLong() {
            if (waiting != null && !done) {
                fail(Status.UNAVAILABLE.withDescription("no leader for " + MAX_LEADERLESS_WAIT_MS + " ms; try another member"));
            }
        }

        /** Asks for the next request now, or once the client has read what was sent. */
        private void requestNext() {
            if (done) {
                return;
            }
            if (down.isReady()) {
                down.request(1);
            } else {
                wantsNext = true;
            }
        }

        private synchronized void ready() {
            if (wantsNext && !done) {
                wantsNext = false;
                down.request(1);
            }
        }

        @Override
        public synchronized void onNext(KeepAliveRequest request) {
            if (done) {
                return;
            }
            if (request.getReportsCount() > Rules.MAX_CHECKS) {
                // an instance has at most that many checks, so no more reports can be meant
                fail(Status.INVALID_ARGUMENT.withDescription("reports: " + request.getReportsCount()
                        + " reports (expected: at most " + Rules.MAX_CHECKS + ", one per TTL check of the instance)"));
                return;
            }
            Status refusal = aclRefusal(request.getLeaseId());
            if (refusal != null) {
                fail(refusal);
                return;
            }
            if (request.getLeaseId() <= 0) {
                // no lease can have this id: the answer for an unknown lease, not the end of the others'
                down.onNext(KeepAliveResponse.newBuilder().setLeaseId(request.getLeaseId()).setFound(false).setTtlMs(0).build());
                requestNext();
                return;
            }
            route(request);
        }

        /** Under the monitor: renews here as leader, relays to the leader, or waits for one. */
        private void route(KeepAliveRequest request) {
            if (upstream == null && leases.isLeader()) {
                LeaseManager.Renewal r;
                try {
                    r = leases.keepAlive(request.getLeaseId());
                } catch (IllegalStateException e) {
                    fail(Status.UNAVAILABLE.withDescription("not the leader any more; reconnect"));
                    return;
                }
                if (r.found() && request.getReportsCount() > 0) {
                    try {
                        reports.accept(request);
                    } catch (RuntimeException e) {
                        fail(GrpcErrors.toStatus(e).getStatus());
                        return;
                    }
                }
                down.onNext(KeepAliveResponse.newBuilder().setLeaseId(r.leaseId()).setFound(r.found()).setTtlMs(r.ttlMs()).build());
                requestNext();
                return;
            }
            if (upstream == null) {
                if (forwarded) {
                    fail(Status.UNAVAILABLE.withDescription("not the leader (forwarded keep-alive); reconnect"));
                    return;
                }
                // to the leader's peer listener, as named by jraft and the member directory
                Optional<ManagedChannel> leader = forwarder.leaderChannel();
                if (leader.isEmpty() || forwarder.leader().map(m -> m.getId().equals(selfId)).orElse(false)) {
                    // no leader, or this member just elected and not yet serving leases: the
                    // leadership callback that follows re-routes the request
                    waitForLeader(request);
                    return;
                }
                upstream = relay(leader.get());
            }
            upstream.onNext(request);
            requestNext();
        }

        /** Under the monitor: a relayed stream to the leader's peer listener, whose answers count only while it is the current one. */
        private StreamObserver<KeepAliveRequest> relay(ManagedChannel leader) {
            @SuppressWarnings("unchecked")
            StreamObserver<KeepAliveRequest>[] self = new StreamObserver[1];
            self[0] = RegistryGrpc.newStub(leader)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forwarder.forwardedHeaders()))
                    .keepAlive(new StreamObserver<>() {
                        @Override
                        public void onNext(KeepAliveResponse value) {
                            synchronized (Session.this) {
                                if (!done && upstream == self[0]) {
                                    down.onNext(value);
                                }
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            Status s = Status.fromThrowable(t);
                            synchronized (Session.this) {
                                if (upstream != self[0]) {
                                    return; // dropped after a leader change
                                }
                                upstream = null;
                                fail(s.getCode() == Status.Code.INVALID_ARGUMENT ? s
                                        : Status.UNAVAILABLE.withDescription("relay to leader ended: " + s.getCode() + " " + s.getDescription()));
                            }
                        }

                        @Override
                        public void onCompleted() {
                            synchronized (Session.this) {
                                if (upstream != self[0]) {
                                    return;
                                }
                                upstream = null;
                                if (!done) {
                                    done = true;
                                    sessions.remove(Session.this);
                                    down.onCompleted();
                                }
                            }
                        }
                    });
            return self[0];
        }

        private void fail(Status status) {
            if (done) {
                return;
            }
            done = true;
            sessions.remove(this);
            if (waitLimit != null) {
                waitLimit.cancel(false);
            }
            if (upstream != null) {
                upstream.onError(Status.CANCELLED.withDescription("downstream failed").asRuntimeException());
                upstream = null;
            }
            down.onError(status.asRuntimeException());
        }

        private synchronized void cancelled() {
            done = true;
            sessions.remove(this);
            if (waitLimit != null) {
                waitLimit.cancel(false);
            }
            if (upstream != null) {
                upstream.onError(Status.CANCELLED.withDescription("client cancelled").asRuntimeException());
                upstream = null;
            }
        }

        @Override
        public synchronized void onError(Throwable t) {
            cancelled();
        }

        @Override
        public synchronized void onCompleted() {
            if (done) {
                return;
            }
            if (upstream != null) {
                upstream.onCompleted();
            } else {
                done = true;
                sessions.remove(this);
                if (waitLimit != null) {
                    waitLimit.cancel(false);
                }
                down.onCompleted();
            }
        }
    }
}
