package io.muster.client;

import io.muster.api.v1.AclGrpc;
import io.muster.api.v1.BootstrapRequest;
import io.muster.api.v1.CreatePolicyRequest;
import io.muster.api.v1.CreateTokenRequest;
import io.muster.api.v1.CreateTokenResponse;
import io.muster.api.v1.DeletePolicyRequest;
import io.muster.api.v1.DeleteTokenRequest;
import io.muster.api.v1.ListPoliciesRequest;
import io.muster.api.v1.ListTokensRequest;
import io.muster.api.v1.Policy;
import io.muster.api.v1.Token;
import io.muster.api.v1.UpdatePolicyRequest;
import io.grpc.ManagedChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code muster.v1.Acl} calls of a {@link RegistryClient} ({@code client.acl()}), each retried on
 * other members like the client's other calls; every call but {@link #bootstrap()} needs a token with
 * the operator rule.
 *
 * <pre>{@code
 * CreateTokenResponse t = client.acl().createToken("orders service", List.of("orders-write"));
 * String token = t.getSecret(); // shown once
 * }</pre>
 */
public final class AclAdmin {

    private final Retrier retrier;
    private final RetryPolicy retry;

    AclAdmin(Retrier retrier, RetryPolicy retry) {
        this.retrier = retrier;
        this.retry = retry;
    }

    private AclGrpc.AclFutureStub stub(ManagedChannel ch) {
        return AclGrpc.newFutureStub(ch).withDeadlineAfter(retry.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The first operator token of a cluster that has none; FAILED_PRECONDITION once bootstrapped. */
    public CreateTokenResponse bootstrap() {
        return Retrier.join(retrier.write(ch -> Retrier.unary(stub(ch).bootstrap(BootstrapRequest.getDefaultInstance()))));
    }

    /** A new token holding {@code policies}; the answer's {@code secret} is the whole token, shown once. */
    public CreateTokenResponse createToken(String description, List<String> policies) {
        var req = CreateTokenRequest.newBuilder().setDescription(description).addAllPolicies(policies).build();
        return Retrier.join(retrier.write(ch -> Retrier.unary(stub(ch).createToken(req))));
    }

    public List<Token> listTokens() {
        return Retrier.join(retrier.call(ch -> Retrier.unary(stub(ch).listTokens(ListTokensRequest.getDefaultInstance())))).getTokensList();
    }

    /** Revokes the token: refused on every member from the apply of the deletion on. False if there was none. */
    public boolean deleteToken(String accessorId) {
        var req = DeleteTokenRequest.newBuilder().setAccessorId(accessorId).build();
        return Retrier.join(retrier.write(ch -> Retrier.unary(stub(ch).deleteToken(req)))).getFound();
    }

    public Policy createPolicy(Policy policy) {
        var req = CreatePolicyRequest.newBuilder().setPolicy(policy).build();
        return Retrier.join(retrier.write(ch -> Retrier.unary(stub(ch).createPolicy(req)))).getPolicy();
    }

    public Policy updatePolicy(Policy policy) {
        var req = UpdatePolicyRequest.newBuilder().setPolicy(policy).build();
        return Retrier.join(retrier.write(ch -> Retrier.unary(stub(ch).updatePolicy(req)))).getPolicy();
    }

    public List<Policy> listPolicies() {
        return Retrier.join(retrier.call(ch -> Retrier.unary(stub(ch).listPolicies(ListPoliciesRequest.getDefaultInstance())))).getPoliciesList();
    }

    /** False if there was no such policy; FAILED_PRECONDITION while a token holds it. */
    public boolean deletePolicy(String name) {
        var req = DeletePolicyRequest.newBuilder().setName(name).build();
        return Retrier.join(retrier.write(ch -> Retrier.unary(stub(ch).deletePolicy(req)))).getFound();
    }
}
