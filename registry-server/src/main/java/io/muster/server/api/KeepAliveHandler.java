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
import io.muster.server.catalog.Rules;
import io.muster.server.peer.Forwarder;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Keep-alive streams. The leader renews leases in memory; a follower relays the whole stream to the
 * leader. When leadership moves, the stream ends with UNAVAILABLE and the client reconnects (to any
 * member), so a stream never renews against a node that no longer enforces leases.
 *
 * <p>A stream reads its next request only once the client reads the answers (the response side is
 * ready), so a client that sends without reading fills its own HTTP/2 window, never this member's
 * memory. A request naming no lease ({@code lease_id <= 0}) is answered {@code found = false,
 * ttl_ms = 0}, like an unknown lease; the stream keeps serving its other leases.
 */
public final class KeepAliveHandler {

    private final LeaseManager leases;
    private final Forwarder forwarder;
    private final String selfId;
    private final Consumer<KeepAliveRequest> reports;

    /**
     * @param reports receives requests that carry TTL-check reports (after their lease was renewed)
     */
    public KeepAliveHandler(String selfId, LeaseManager leases, Forwarder forwarder, Consumer<KeepAliveRequest> reports) {
        this.selfId = selfId;
        this.leases = leases;
        this.forwarder = forwarder;
        this.reports = reports;
    }

    StreamObserver<KeepAliveRequest> open(ServerCallStreamObserver<KeepAliveResponse> down) {
        down.disableAutoRequest();
        Session session = new Session(down, Forwarder.isForwarded());
        down.request(1);
        return session;
    }

    private final class Session implements StreamObserver<KeepAliveRequest> {
        private final ServerCallStreamObserver<KeepAliveResponse> down;
        private final boolean forwarded;
        private StreamObserver<KeepAliveRequest> upstream;
        private boolean done;
        /** The next request is wanted but the client has not read the last answers yet. */
        private boolean wantsNext;

        Session(ServerCallStreamObserver<KeepAliveResponse> down, boolean forwarded) {
            this.down = down;
            this.forwarded = forwarded;
            down.setOnCancelHandler(this::cancelled);
            down.setOnReadyHandler(this::ready);
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
            if (request.getLeaseId() <= 0) {
                // no lease can have this id: the answer for an unknown lease, not the end of the others'
                down.onNext(KeepAliveResponse.newBuilder().setLeaseId(request.getLeaseId()).setFound(false).setTtlMs(0).build());
                requestNext();
                return;
            }
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
                if (leader.isEmpty()) {
                    fail(Status.UNAVAILABLE.withDescription("no leader elected; retry"));
                    return;
                }
                upstream = RegistryGrpc.newStub(leader.get())
                        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forwarder.forwardedHeaders()))
                        .keepAlive(new StreamObserver<>() {
                            @Override
                            public void onNext(KeepAliveResponse value) {
                                synchronized (Session.this) {
                                    if (!done) {
                                        down.onNext(value);
                                    }
                                }
                            }

                            @Override
                            public void onError(Throwable t) {
                                Status s = Status.fromThrowable(t);
                                synchronized (Session.this) {
                                    upstream = null;
                                    fail(s.getCode() == Status.Code.INVALID_ARGUMENT ? s
                                            : Status.UNAVAILABLE.withDescription("relay to leader ended: " + s.getCode() + " " + s.getDescription()));
                                }
                            }

                            @Override
                            public void onCompleted() {
                                synchronized (Session.this) {
                                    upstream = null;
                                    if (!done) {
                                        done = true;
                                        down.onCompleted();
                                    }
                                }
                            }
                        });
            }
            upstream.onNext(request);
            requestNext();
        }

        private void fail(Status status) {
            if (done) {
                return;
            }
            done = true;
            if (upstream != null) {
                upstream.onError(Status.CANCELLED.withDescription("downstream failed").asRuntimeException());
                upstream = null;
            }
            down.onError(status.asRuntimeException());
        }

        private synchronized void cancelled() {
            done = true;
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
                down.onCompleted();
            }
        }
    }
}
