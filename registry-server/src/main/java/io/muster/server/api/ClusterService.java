package io.muster.server.api;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.muster.api.Version;
import io.muster.api.v1.AddMemberRequest;
import io.muster.api.v1.AddMemberResponse;
import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.LeaderRequest;
import io.muster.api.v1.LeaderResponse;
import io.muster.api.v1.Member;
import io.muster.api.v1.MembersRequest;
import io.muster.api.v1.MembersResponse;
import io.muster.api.v1.RemoveMemberRequest;
import io.muster.api.v1.RemoveMemberResponse;
import io.muster.api.v1.RestoreChunk;
import io.muster.api.v1.RestoreResponse;
import io.muster.api.v1.SnapshotChunk;
import io.muster.api.v1.SnapshotRequest;
import io.muster.api.v1.StatusRequest;
import io.muster.api.v1.StatusResponse;
import io.muster.api.v1.TransferLeadershipRequest;
import io.muster.api.v1.TransferLeadershipResponse;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.RemoveMemberCmd;
import io.muster.internal.v1.RestoreCmd;
import io.muster.internal.v1.SetMemberCmd;
import io.muster.server.catalog.Catalog;
import io.muster.server.config.PeerSpec;
import io.muster.server.peer.Forwarder;
import io.muster.server.peer.PeerChannels;
import io.muster.server.peer.PeerDirectory;
import io.muster.server.raft.RaftNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/** The {@code muster.v1.Cluster} admin service. */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {

    static final int CHUNK = 1 << 20;

    private final String selfId;
    private final RaftNode raft;
    private final Catalog catalog;
    private final PeerDirectory directory;
    private final Forwarder forwarder;
    private final Clock clock;
    private final Executor diskExecutor;
    private final MemberStatuses statuses;

    /**
     * @param peers        the member-to-member channels {@code Members} asks the other members' status on
     * @param diskExecutor runs what touches the disk ({@code Status}'s walk of the Raft directory),
     *     so no handler blocks an event loop
     */
    public ClusterService(String selfId, RaftNode raft, Catalog catalog, PeerDirectory directory, Forwarder forwarder, Clock clock,
            PeerChannels peers, Executor diskExecutor) {
        this.diskExecutor = diskExecutor;
        this.statuses = new MemberStatuses(selfId, peers, this::ownStatus, MemberStatuses.DEFAULT_DEADLINE);
        this.selfId = selfId;
        this.raft = raft;
        this.catalog = catalog;
        this.directory = directory;
        this.forwarder = forwarder;
        this.clock = clock;
    }

    private List<Member> members() {
        Map<String, Member> known = directory.all();
        String leader = raft.leaderRaftAddress();
        Set<String> alive = new HashSet<>(raft.alivePeers());
        List<Member> out = new ArrayList<>();
        for (String peer : raft.peers()) {
            Member m = known.values().stream().filter(k -> k.getRaftAddress().equals(peer)).findFirst()
                    .orElse(Member.newBuilder().setId(peer).setRaftAddress(peer).build());
            out.add(m.toBuilder()
                    .setLeader(peer.equals(leader))
                    .setAlive(!raft.isLeader() || alive.contains(peer))
                    .build());
        }
        return out;
    }

    @Override
    public void members(MembersRequest request, StreamObserver<MembersResponse> observer) {
        // the statuses are asked by the member the client called, once: a leader answering a
        // forwarded Members gives its view only, the member that forwarded it adds the statuses
        boolean withStatus = request.getWithStatus() && !Forwarder.isForwarded();
        long deadlineNanos = Forwarder.deadlineNanos();
        // the configuration is known for sure only on the leader; without one, answer from the directory
        forwarder.onLeader(ClusterGrpc.getMembersMethod(), request, () -> {
            List<Member> members = members();
            return CompletableFuture.completedFuture(MembersResponse.newBuilder()
                    .addAllMembers(members)
                    .setLeaderId(members.stream().filter(Member::getLeader).map(Member::getId).findFirst().orElse(""))
                    .setTerm(raft.term())
                    .setAnsweredBy(selfId)
                    .build());
        }).exceptionally(e -> MembersResponse.newBuilder()
                .addAllMembers(directory.all().values().stream().map(m -> m.toBuilder().setAlive(false).build()).toList())
                .setTerm(raft.term())
                .setAnsweredBy(selfId)
                .build())
                .thenCompose(r -> withStatus ? statuses.addTo(r, deadlineNanos) : CompletableFuture.completedFuture(r))
                .whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
        // this member's own view, never forwarded: comparing the answers of all members shows who lags
        // (served on the peer listener too, where Members with_status asks it)
        ownStatus().whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    private CompletableFuture<StatusResponse> ownStatus() {
        String leaderRaft = raft.leaderRaftAddress();
        String leaderId = leaderRaft == null ? "" : directory.all().values().stream()
                .filter(m -> m.getRaftAddress().equals(leaderRaft)).map(Member::getId).findFirst().orElse(leaderRaft);
        StatusResponse.Builder b = StatusResponse.newBuilder()
                .setId(selfId)
                .setRaftAddress(raft.raftAddress())
                .setLeaderId(leaderId)
                .setIsLeader(raft.isLeader())
                .setTerm(raft.term())
                .setCommittedIndex(raft.committedIndex())
                .setAppliedIndex(raft.appliedIndex())
                .setLastLogIndex(raft.lastLogIndex())
                .setRevision(catalog.revision())
                .setVersion(Version.VERSION);
        return CompletableFuture.supplyAsync(() -> {
            try {
                return b.setDataSizeBytes(raft.diskUsageBytes()).build();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, diskExecutor);
    }

    @Override
    public void leader(LeaderRequest request, StreamObserver<LeaderResponse> observer) {
        forwarder.retrying("leader", true, () -> {
            Optional<Member> leader = forwarder.leader();
            return leader.isPresent()
                    ? CompletableFuture.completedFuture(LeaderResponse.newBuilder()
                            .setLeader(leader.get().toBuilder().setLeader(true).setAlive(true)).setTerm(raft.term()).build())
                    : CompletableFuture.<LeaderResponse>failedFuture(Status.UNAVAILABLE.withDescription("no leader elected").asRuntimeException());
        }).whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    @Override
    public void transferLeadership(TransferLeadershipRequest request, StreamObserver<TransferLeadershipResponse> observer) {
        forwarder.onLeaderSlow(ClusterGrpc.getTransferLeadershipMethod(), request, () -> {
            String target = null;
            if (!request.getTargetId().isEmpty()) {
                Optional<Member> m = directory.byId(request.getTargetId());
                if (m.isEmpty() || !raft.peers().contains(m.get().getRaftAddress())) {
                    return CompletableFuture.failedFuture(Validation.invalid("target_id", "'" + request.getTargetId() + "'", "the id of a current member"));
                }
                target = m.get().getRaftAddress();
            }
            return raft.transferLeadership(target).thenApply(v -> TransferLeadershipResponse.newBuilder()
                    .setLeaderId(request.getTargetId()).build());
        }).whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    @Override
    public void addMember(AddMemberRequest request, StreamObserver<AddMemberResponse> observer) {
        Member m = request.getMember();
        try {
            new PeerSpec(m.getId(), m.getRaftAddress(), m.getGrpcAddress(), m.getPeerAddress());
        } catch (IllegalArgumentException e) {
            observer.onError(Status.INVALID_ARGUMENT.withDescription("member: " + e.getMessage()).asRuntimeException());
            return;
        }
        forwarder.onLeaderSlow(ClusterGrpc.getAddMemberMethod(), request, () -> {
            Optional<Member> sameId = directory.byId(m.getId());
            if (sameId.isPresent() && raft.peers().contains(sameId.get().getRaftAddress())
                    && !sameId.get().getRaftAddress().equals(m.getRaftAddress())) {
                return CompletableFuture.failedFuture(Status.ALREADY_EXISTS
                        .withDescription("member id '" + m.getId() + "' is in use by " + sameId.get().getRaftAddress()).asRuntimeException());
            }
            // one directory entry per Raft address: forwarding resolves the leader by it
            Optional<Member> sameRaft = directory.byRaftAddress(m.getRaftAddress());
            if (sameRaft.isPresent() && !sameRaft.get().getId().equals(m.getId()) && raft.peers().contains(m.getRaftAddress())) {
                return CompletableFuture.failedFuture(Status.ALREADY_EXISTS
                        .withDescription("raft address " + m.getRaftAddress() + " is member '" + sameRaft.get().getId() + "'").asRuntimeException());
            }
            // the directory entry first, so every member can route to the new one once it is a peer
            return raft.propose(Command.newBuilder().setSetMember(SetMemberCmd.newBuilder().setMember(m)).setNowMs(clock.millis()).build())
                    .thenCompose(r -> raft.peers().contains(m.getRaftAddress())
                            ? CompletableFuture.completedFuture(null) : raft.addPeer(m.getRaftAddress()))
                    .thenApply(v -> AddMemberResponse.newBuilder().addAllMembers(members()).build());
        }).whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    @Override
    public void removeMember(RemoveMemberRequest request, StreamObserver<RemoveMemberResponse> observer) {
        // a typo is caught where the request enters; on the leader (and on retries after an answer
        // was lost) a member that is no longer in the configuration counts as removed
        if (!Forwarder.isForwarded() && directory.byId(request.getId()).isEmpty()) {
            observer.onError(Validation.invalid("id", "'" + request.getId() + "'", "the id of a current member"));
            return;
        }
        forwarder.onLeaderSlow(ClusterGrpc.getRemoveMemberMethod(), request, () -> {
            List<String> before = raft.peers();
            Optional<Member> member = directory.byId(request.getId());
            if (member.isEmpty() || !before.contains(member.get().getRaftAddress())) {
                return CompletableFuture.completedFuture(RemoveMemberResponse.newBuilder().addAllMembers(members()).build());
            }
            String raftAddress = member.get().getRaftAddress();
            CompletableFuture<Void> removed = before.contains(raftAddress) ? raft.removePeer(raftAddress) : CompletableFuture.completedFuture(null);
            return removed.thenCompose(v -> {
                if (!raft.isLeader()) {
                    // this leader removed itself and stepped down: answer from what we know; the
                    // next leader drops the directory entry (RegistryNode#reconcileDirectory)
                    Map<String, Member> known = directory.all();
                    List<Member> remaining = before.stream().filter(p -> !p.equals(raftAddress))
                            .map(p -> known.values().stream().filter(k -> k.getRaftAddress().equals(p)).findFirst()
                                    .orElse(Member.newBuilder().setId(p).setRaftAddress(p).build()))
                            .toList();
                    return CompletableFuture.completedFuture(RemoveMemberResponse.newBuilder().addAllMembers(remaining).build());
                }
                return raft.propose(Command.newBuilder().setRemoveMember(RemoveMemberCmd.newBuilder().setId(request.getId()))
                                .setNowMs(clock.millis()).build())
                        .thenApply(r -> RemoveMemberResponse.newBuilder().addAllMembers(members()).build());
            });
        }).whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    @Override
    public void snapshot(SnapshotRequest request, StreamObserver<SnapshotChunk> observer) {
        ServerCallStreamObserver<SnapshotChunk> call = (ServerCallStreamObserver<SnapshotChunk>) observer;
        AtomicReference<BackupStream> backup = new AtomicReference<>();
        // gRPC takes the handler only before this method returns; it pumps once the backup is taken
        call.setOnReadyHandler(() -> {
            BackupStream b = backup.get();
            if (b != null) {
                b.pump();
            }
        });
        forwarder.retrying("read index", true, raft::readBarrier)
                .thenCompose(v -> request.getCompactLog() ? raft.snapshot() : CompletableFuture.completedFuture(null))
                .whenComplete((v, err) -> {
                    if (err != null) {
                        observer.onError(GrpcErrors.toStatus(err));
                        return;
                    }
                    // a backup carries services, not this cluster's tokens: restore keeps the target's own ACL state
                    BackupStream b = new BackupStream(catalog.snapshot().toBuilder().clearAcl().clearAppliedWrites().build(), call, CHUNK);
                    backup.set(b);
                    b.pump();
                });
    }

    /** The largest backup {@link #restore} takes: it is held in memory on the leader and proposed as one log entry. */
    static final int MAX_RESTORE_BYTES = 256 << 20;

    /**
     * An online restore into a running, empty cluster: the backup's chunks are gathered here, parsed,
     * and proposed as one {@code RestoreCmd}, which every member applies only to an empty catalog
     * (the same check as {@code --restore} at a first start). Not forwarded: a stream of up to
     * {@link #MAX_RESTORE_BYTES} is sent to the leader directly (a non-leader names it).
     */
    @Override
    public StreamObserver<RestoreChunk> restore(StreamObserver<RestoreResponse> observer) {
        return new StreamObserver<>() {
            private final ByteString.Output data = ByteString.newOutput();
            private boolean failed;

            @Override
            public void onNext(RestoreChunk chunk) {
                if (failed) {
                    return;
                }
                long size = (long) data.size() + chunk.getData().size();
                if (size > MAX_RESTORE_BYTES) {
                    failed = true;
                    observer.onError(RegistryService.exhausted("restore", size, MAX_RESTORE_BYTES));
                    return;
                }
                try {
                    chunk.getData().writeTo(data);
                } catch (IOException e) {
                    throw new UncheckedIOException(e); // a ByteString.Output does not fail
                }
            }

            @Override
            public void onError(Throwable t) {
                failed = true; // the client went away: nothing was proposed
            }

            @Override
            public void onCompleted() {
                if (failed) {
                    return;
                }
                CatalogSnapshot backup;
                try {
                    backup = CatalogSnapshot.parseFrom(data.toByteString());
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    observer.onError(Validation.invalid("restore", data.size() + " bytes that are not a muster.v1.CatalogSnapshot",
                            "a backup written by muster snapshot save"));
                    return;
                }
                proposeRestore(backup).whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
            }
        };
    }

    private CompletableFuture<RestoreResponse> proposeRestore(CatalogSnapshot backup) {
        long revision = catalog.revision();
        if (revision != 0) {
            // any member can tell: revisions never go back, so a member past 0 means the cluster is.
            // The catalog says the same when it applies the command; this spares the log a doomed entry
            return CompletableFuture.failedFuture(Status.FAILED_PRECONDITION.withDescription(
                    "restore: catalog at revision " + revision + " (expected: an empty catalog (revision 0))").asRuntimeException());
        }
        if (!raft.isLeader()) {
            String leader = forwarder.leader().map(Member::getGrpcAddress).orElse(null);
            return CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("restore: this member is not the leader"
                    + (leader == null ? " and none is known; retry" : "; send it to the leader at " + leader)).asRuntimeException());
        }
        return raft.propose(Command.newBuilder().setRestore(RestoreCmd.newBuilder().setSnapshot(backup)).setNowMs(clock.millis()).build())
                .thenApply(r -> RestoreResponse.newBuilder().setRevision(r.revision()).setInstances(backup.getInstancesCount()).build());
    }
}
