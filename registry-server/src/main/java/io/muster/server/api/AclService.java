package io.muster.server.api;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.AclGrpc;
import io.muster.api.v1.BootstrapRequest;
import io.muster.api.v1.CreatePolicyRequest;
import io.muster.api.v1.CreateTokenRequest;
import io.muster.api.v1.CreateTokenResponse;
import io.muster.api.v1.DeletePolicyRequest;
import io.muster.api.v1.DeletePolicyResponse;
import io.muster.api.v1.DeleteTokenRequest;
import io.muster.api.v1.DeleteTokenResponse;
import io.muster.api.v1.ListPoliciesRequest;
import io.muster.api.v1.ListPoliciesResponse;
import io.muster.api.v1.ListTokensRequest;
import io.muster.api.v1.ListTokensResponse;
import io.muster.api.v1.Policy;
import io.muster.api.v1.PolicyResponse;
import io.muster.api.v1.StoredToken;
import io.muster.api.v1.Token;
import io.muster.api.v1.UpdatePolicyRequest;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.CreateAclTokenCmd;
import io.muster.internal.v1.DeleteAclPolicyCmd;
import io.muster.internal.v1.DeleteAclTokenCmd;
import io.muster.internal.v1.PutAclPolicyCmd;
import io.muster.server.catalog.AclRules;
import io.muster.server.catalog.AclView;
import io.muster.server.catalog.ApplyResult;
import io.muster.server.catalog.Catalog;
import io.muster.server.peer.Forwarder;
import io.muster.server.raft.RaftNode;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * The public {@code muster.v1.Acl} service. Changes go to the leader (forwarded like the Registry's
 * writes); the leader draws a new token's secret and proposes only its salted hash, and the secret
 * goes back to the caller in the answer, once. Lists are linearizable reads of the local state.
 */
public final class AclService extends AclGrpc.AclImplBase {

    private static final int ACCESSOR_BYTES = 16;
    private static final int SECRET_BYTES = 32;

    private final RaftNode raft;
    private final Catalog catalog;
    private final Forwarder forwarder;
    private final Clock clock;
    private final Random random;

    /** @param random where secrets, salts and accessor ids come from: a {@code SecureRandom} outside tests */
    public AclService(RaftNode raft, Catalog catalog, Forwarder forwarder, Clock clock, Random random) {
        this.raft = raft;
        this.catalog = catalog;
        this.forwarder = forwarder;
        this.clock = clock;
        this.random = random;
    }

    /** A new token: its stored (hashed) form and the whole secret to hand out once. */
    record NewToken(StoredToken stored, String secret) {
    }

    /** Draws a token for {@code token} (accessor id and creation time filled in here). */
    NewToken draw(Token.Builder token) {
        byte[] accessor = new byte[ACCESSOR_BYTES];
        byte[] secret = new byte[SECRET_BYTES];
        byte[] salt = new byte[AclRules.SALT_BYTES];
        synchronized (random) {
            random.nextBytes(accessor);
            random.nextBytes(secret);
            random.nextBytes(salt);
        }
        String accessorId = HexFormat.of().formatHex(accessor);
        String secretText = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        ByteString saltBytes = ByteString.copyFrom(salt);
        StoredToken stored = StoredToken.newBuilder()
                .setToken(token.setAccessorId(accessorId).setCreatedAtMs(clock.millis()))
                .setSalt(saltBytes)
                .setSecretHash(ByteString.copyFrom(AclView.hash(saltBytes, secretText)))
                .build();
        return new NewToken(stored, accessorId + "." + secretText);
    }

    /** On the leader: proposes the token's hash; the answer carries the secret. */
    CompletableFuture<CreateTokenResponse> proposeToken(Token.Builder token) {
        NewToken t = draw(token);
        return propose(Command.newBuilder().setCreateAclToken(CreateAclTokenCmd.newBuilder().setToken(t.stored())))
                .thenApply(r -> CreateTokenResponse.newBuilder()
                        .setToken(catalog.acl().tokens().stream()
                                .filter(x -> x.getAccessorId().equals(t.stored().getToken().getAccessorId()))
                                .findFirst().orElse(t.stored().getToken()))
                        .setSecret(t.secret())
                        .build());
    }

    /** On the leader: proposes a drawn token's stored form (the bootstrap on first start). */
    CompletableFuture<ApplyResult> propose(StoredToken token) {
        return propose(Command.newBuilder().setCreateAclToken(CreateAclTokenCmd.newBuilder().setToken(token)));
    }

    private CompletableFuture<ApplyResult> propose(Command.Builder command) {
        return raft.propose(command.setNowMs(clock.millis()).build());
    }

    /**
     * Completes once this member has applied the change too (a read barrier after the leader's
     * answer): a token created or deleted through a member works, or is refused, on that member as
     * soon as the call returns. Other members apply it within their replication lag.
     */
    private <T> CompletableFuture<T> appliedHere(CompletableFuture<T> change) {
        return change.thenCompose(r -> forwarder.retrying("read index", true, raft::readBarrier).thenApply(v -> r));
    }

    @Override
    public void bootstrap(BootstrapRequest request, StreamObserver<CreateTokenResponse> observer) {
        appliedHere(forwarder.onLeader(AclGrpc.getBootstrapMethod(), request,
                        () -> proposeToken(Token.newBuilder().setBootstrap(true).setDescription("bootstrap token"))))
                .whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    @Override
    public void createToken(CreateTokenRequest request, StreamObserver<CreateTokenResponse> observer) {
        try {
            AclRules.tokenRequest("token", request.getDescription(), request.getPoliciesList());
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        appliedHere(forwarder.onLeader(AclGrpc.getCreateTokenMethod(), request,
                        () -> proposeToken(Token.newBuilder().setDescription(request.getDescription())
                                .addAllPolicies(request.getPoliciesList()))))
                .whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    @Override
    public void deleteToken(DeleteTokenRequest request, StreamObserver<DeleteTokenResponse> observer) {
        try {
            AclRules.accessorId("accessor_id", request.getAccessorId());
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        appliedHere(forwarder.onLeader(AclGrpc.getDeleteTokenMethod(), request,
                        () -> propose(Command.newBuilder().setDeleteAclToken(DeleteAclTokenCmd.newBuilder().setAccessorId(request.getAccessorId())))
                                .thenApply(r -> DeleteTokenResponse.newBuilder().setFound(r.changed()).build())))
                .whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    @Override
    public void createPolicy(CreatePolicyRequest request, StreamObserver<PolicyResponse> observer) {
        putPolicy(request.getPolicy(), false, AclGrpc.getCreatePolicyMethod(), request, observer);
    }

    @Override
    public void updatePolicy(UpdatePolicyRequest request, StreamObserver<PolicyResponse> observer) {
        putPolicy(request.getPolicy(), true, AclGrpc.getUpdatePolicyMethod(), request, observer);
    }

    private <Q> void putPolicy(Policy policy, boolean update, io.grpc.MethodDescriptor<Q, PolicyResponse> method, Q request,
                               StreamObserver<PolicyResponse> observer) {
        try {
            AclRules.policy("policy", policy);
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        appliedHere(forwarder.onLeader(method, request,
                        () -> propose(Command.newBuilder().setPutAclPolicy(PutAclPolicyCmd.newBuilder().setPolicy(policy).setUpdate(update)))
                                .thenApply(r -> PolicyResponse.newBuilder().setPolicy(policy).build())))
                .whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    @Override
    public void deletePolicy(DeletePolicyRequest request, StreamObserver<DeletePolicyResponse> observer) {
        try {
            AclRules.policyName("name", request.getName());
        } catch (RuntimeException e) {
            observer.onError(GrpcErrors.toStatus(e));
            return;
        }
        appliedHere(forwarder.onLeader(AclGrpc.getDeletePolicyMethod(), request,
                        () -> propose(Command.newBuilder().setDeleteAclPolicy(DeleteAclPolicyCmd.newBuilder().setName(request.getName())))
                                .thenApply(r -> DeletePolicyResponse.newBuilder().setFound(r.changed()).build())))
                .whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    @Override
    public void listTokens(ListTokensRequest request, StreamObserver<ListTokensResponse> observer) {
        read(v -> ListTokensResponse.newBuilder().addAllTokens(v.tokens()).build(), observer);
    }

    @Override
    public void listPolicies(ListPoliciesRequest request, StreamObserver<ListPoliciesResponse> observer) {
        read(v -> ListPoliciesResponse.newBuilder().addAllPolicies(v.policies()).build(), observer);
    }

    private <T> void read(java.util.function.Function<AclView, T> reader, StreamObserver<T> observer) {
        forwarder.retrying("read index", true, raft::readBarrier)
                .thenApply(v -> reader.apply(catalog.acl()))
                .whenComplete((r, e) -> GrpcErrors.complete(observer, r, e));
    }

    /** The interceptor that enforces ACLs (docs/security.md); install it on every public service, innermost. */
    public static io.grpc.ServerInterceptor interceptor(Catalog catalog) {
        return new AclInterceptor(catalog::acl);
    }
}
