package io.muster.server.testing;

import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.muster.api.v1.Access;
import io.muster.api.v1.AclGrpc;
import io.muster.api.v1.CreatePolicyRequest;
import io.muster.api.v1.CreateTokenRequest;
import io.muster.api.v1.CreateTokenResponse;
import io.muster.api.v1.Policy;
import io.muster.api.v1.Rule;
import io.grpc.Channel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** ACL helpers of the tests: a stub with a token, policies and tokens made through the API. */
public final class Tokens {
    private Tokens() {
    }

    public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    /** {@code stub} sending {@code authorization: Bearer <token>}. */
    public static <S extends AbstractStub<S>> S with(S stub, String token) {
        Metadata h = new Metadata();
        h.put(AUTHORIZATION, "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
    }

    public static AclGrpc.AclBlockingStub acl(Channel ch, String token) {
        return with(AclGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS), token);
    }

    /**
     * The bootstrap token the first leader wrote into its data dir, once every running member has
     * applied it (the file appears when the leader has; a follower may lag a few milliseconds).
     */
    public static String bootstrapToken(LocalCluster cluster) {
        String token = Awaitility.await("the bootstrap token file").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> cluster.ids().stream()
                        .map(id -> cluster.configOf(id).bootstrapTokenFile())
                        .filter(Files::exists).findFirst().map(Tokens::read).orElse(null), t -> t != null);
        for (var node : cluster.nodes()) {
            Awaitility.await("the bootstrap token on " + node.id()).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .ignoreExceptions()
                    .until(() -> with(io.muster.api.v1.ClusterGrpc.newBlockingStub(cluster.channel(node.id()))
                            .withDeadlineAfter(5, TimeUnit.SECONDS), token).status(io.muster.api.v1.StatusRequest.getDefaultInstance()) != null);
        }
        return token;
    }

    public static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Rule rule(Access access, String prefix) {
        return Rule.newBuilder().setAccess(access).setServicePrefix(prefix).build();
    }

    /** A policy {@code name} of {@code rules}, then a token holding it: the whole token. */
    public static String tokenWith(Channel ch, String operatorToken, String name, Rule... rules) {
        acl(ch, operatorToken).createPolicy(CreatePolicyRequest.newBuilder()
                .setPolicy(Policy.newBuilder().setName(name).addAllRules(List.of(rules))).build());
        CreateTokenResponse r = acl(ch, operatorToken).createToken(CreateTokenRequest.newBuilder()
                .setDescription("test token " + name).addPolicies(name).build());
        return r.getSecret();
    }
}
