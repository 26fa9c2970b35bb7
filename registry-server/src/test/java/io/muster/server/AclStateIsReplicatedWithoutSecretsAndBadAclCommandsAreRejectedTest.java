package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.muster.api.v1.Access;
import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.CreatePolicyRequest;
import io.muster.api.v1.CreateTokenRequest;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.Policy;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.Rule;
import io.muster.api.v1.StoredToken;
import io.muster.api.v1.Token;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.CreateAclTokenCmd;
import io.muster.internal.v1.DeleteAclPolicyCmd;
import io.muster.internal.v1.DeleteAclTokenCmd;
import io.muster.internal.v1.PutAclPolicyCmd;
import io.muster.server.catalog.CommandRejectedException;
import io.muster.server.catalog.Rejection;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.Tokens;
import io.muster.testkit.ClusterTest;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ACL state goes through the Raft log and snapshots as salted hashes: after tokens are made and
 * every member has taken a snapshot, no file a member wrote (RocksDB log, snapshots, metadata)
 * holds a token's secret, the snapshot holds the tokens' hashes, and a restarted member knows the
 * tokens again. ACL commands that break a rule, proposed straight into the log past every API check,
 * are rejected the same way on every member with a clear message, and the members keep applying.
 */
@ClusterTest
class AclStateIsReplicatedWithoutSecretsAndBadAclCommandsAreRejectedTest {

    @TempDir
    Path dir;

    @Test
    void noFileAMemberWritesHoldsASecretAndARestartedMemberKnowsTheTokens() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, c -> c.toBuilder().electionTimeoutMs(1000).aclEnabled(true).build())) {
            String root = Tokens.bootstrapToken(cluster);
            String follower = cluster.aFollower().id();
            ManagedChannel ch = cluster.channel(follower);
            String token = Tokens.tokenWith(ch, root, "inventory-write", Tokens.rule(Access.WRITE, "inventory"));
            Tokens.with(Api.registry(ch), token).register(RegisterRequest.newBuilder().setInstance(Api.instance("inventory", "i-1", 8080)).build());
            for (String id : cluster.ids()) {
                // a read barrier, then a Raft snapshot on that member (compact_log)
                Tokens.with(Api.cluster(cluster.channel(id)), root).snapshot(io.muster.api.v1.SnapshotRequest.newBuilder().setCompactLog(true).build())
                        .forEachRemaining(c -> { });
            }
            String secret = token.substring(token.indexOf('.') + 1);
            String rootSecret = root.substring(root.indexOf('.') + 1);
            List<Path> files;
            try (Stream<Path> walk = Files.walk(dir)) {
                files = walk.filter(Files::isRegularFile).toList();
            }
            List<Path> snapshots = files.stream().filter(p -> p.getFileName().toString().equals("catalog.pb")).toList();
            assertThat(snapshots).as("a Raft snapshot on each member").hasSizeGreaterThanOrEqualTo(3);
            assertThat(files.stream().filter(p -> p.toString().contains("/raft/log"))).as("RocksDB log files").isNotEmpty();
            for (Path f : files) {
                byte[] bytes = Files.readAllBytes(f);
                assertThat(contains(bytes, secret)).as("%s holds the token's secret", f).isFalse();
                if (!f.getFileName().toString().startsWith("acl-bootstrap-token")) {
                    assertThat(contains(bytes, rootSecret)).as("%s holds the bootstrap token's secret", f).isFalse();
                }
            }
            // the snapshot does carry the token: its accessor id and salted hash
            CatalogSnapshot snap = CatalogSnapshot.parseFrom(Files.readAllBytes(snapshots.get(0)));
            String accessor = token.substring(0, token.indexOf('.'));
            StoredToken stored = snap.getAcl().getTokensList().stream().filter(t -> t.getToken().getAccessorId().equals(accessor)).findFirst().orElseThrow();
            assertThat(stored.getSecretHash().size()).isEqualTo(32);
            assertThat(snap.getAcl().getBootstrapped()).isTrue();
            // a backup (Cluster.Snapshot) carries no ACL state at all
            assertThat(backup(cluster.channel(follower), root).hasAcl()).isFalse();

            cluster.stopNode(follower);
            cluster.startNode(follower);
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Tokens.with(Api.registry(cluster.channel(follower)), token)
                    .discover(DiscoverRequest.newBuilder().setService("inventory").build()).getInstancesCount()).isEqualTo(1));
        }
    }

    static CatalogSnapshot backup(ManagedChannel ch, String token) throws IOException {
        ByteString data = ByteString.EMPTY;
        var it = Tokens.with(Api.cluster(ch), token).snapshot(io.muster.api.v1.SnapshotRequest.getDefaultInstance());
        while (it.hasNext()) {
            data = data.concat(it.next().getData());
        }
        return CatalogSnapshot.parseFrom(data);
    }

    static boolean contains(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    static Command put(Policy p, boolean update) {
        return Command.newBuilder().setNowMs(1).setPutAclPolicy(PutAclPolicyCmd.newBuilder().setPolicy(p).setUpdate(update)).build();
    }

    static Rule rule(Access a, String prefix) {
        return Rule.newBuilder().setAccess(a).setServicePrefix(prefix).build();
    }

    static StoredToken stored(String accessor, String... policies) {
        return StoredToken.newBuilder().setToken(Token.newBuilder().setAccessorId(accessor).addAllPolicies(List.of(policies)))
                .setSalt(ByteString.copyFrom(new byte[16])).setSecretHash(ByteString.copyFrom(new byte[32])).build();
    }

    @Test
    void badAclCommandsInTheLogAreRejectedWithClearErrorsOnEveryMemberWhichKeepApplying() {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, c -> c.toBuilder().electionTimeoutMs(1000).aclEnabled(true).metricsPort(0).build())) {
            String root = Tokens.bootstrapToken(cluster);
            RegistryNode leader = cluster.awaitLeader();
            String accessor = "0123456789abcdef0123456789abcdef";
            record Bad(Command command, String message) {
            }
            List<Bad> bad = List.of(
                    new Bad(put(Policy.newBuilder().setName("").addRules(rule(Access.READ, ""))
                            .build(), false), "create_policy.policy.name: ''"),
                    new Bad(put(Policy.newBuilder().setName("p").addRules(rule(Access.READ, "Orders*")).build(), false),
                            "create_policy.policy.rules[0].service_prefix: 'Orders*'"),
                    new Bad(put(Policy.newBuilder().setName("p").addRules(rule(Access.OPERATOR, "orders")).build(), false),
                            "an OPERATOR rule covers the cluster"),
                    new Bad(put(Policy.newBuilder().setName("p").build(), false), "create_policy.policy.rules: 0 rules"),
                    new Bad(put(Policy.newBuilder().setName("p").addRules(Rule.newBuilder().setAccessValue(9)).build(), false),
                            "create_policy.policy.rules[0].access"),
                    new Bad(put(Policy.newBuilder().setName("nope").addRules(rule(Access.READ, "")).build(), true),
                            "policy 'nope' does not exist"),
                    new Bad(put(Policy.newBuilder().setName("global-management").addRules(rule(Access.READ, "")).build(), true),
                            "built in"),
                    new Bad(Command.newBuilder().setCreateAclToken(CreateAclTokenCmd.newBuilder().setToken(stored(accessor, "unknown-policy"))).build(),
                            "policy 'unknown-policy' does not exist"),
                    new Bad(Command.newBuilder().setCreateAclToken(CreateAclTokenCmd.newBuilder().setToken(stored("XYZ", "global-management"))).build(),
                            "create_acl_token.token.token.accessor_id: 'XYZ'"),
                    new Bad(Command.newBuilder().setCreateAclToken(CreateAclTokenCmd.newBuilder().setToken(
                            stored(accessor).toBuilder().setToken(Token.newBuilder().setAccessorId(accessor).setBootstrap(true)))).build(),
                            "bootstrapped already"),
                    new Bad(Command.newBuilder().setCreateAclToken(CreateAclTokenCmd.newBuilder().setToken(stored(accessor, "global-management")
                            .toBuilder().setSecretHash(ByteString.copyFromUtf8("plain secret")))).build(), "secret_hash: 12 bytes"),
                    new Bad(Command.newBuilder().setDeleteAclToken(DeleteAclTokenCmd.newBuilder().setAccessorId("")).build(),
                            "delete_acl_token.accessor_id: ''"),
                    new Bad(Command.newBuilder().setDeleteAclPolicy(DeleteAclPolicyCmd.newBuilder().setName("global-management")).build(),
                            "cannot be deleted"));
            for (Bad b : bad) {
                assertThatThrownBy(() -> leader.raft().propose(b.command()).join())
                        .as(b.message())
                        .isInstanceOf(CompletionException.class)
                        .cause().isInstanceOf(CommandRejectedException.class).hasMessageContaining(b.message());
            }
            // the API says the same before proposing, with a gRPC status
            ManagedChannel ch = cluster.channel(cluster.aFollower().id());
            assertThatThrownBy(() -> Tokens.acl(ch, root).createPolicy(CreatePolicyRequest.newBuilder()
                    .setPolicy(Policy.newBuilder().setName("").addRules(rule(Access.READ, ""))).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains("policy.name: ''");
                    });
            assertThatThrownBy(() -> Tokens.acl(ch, root).createToken(CreateTokenRequest.newBuilder().addPolicies("no-such-policy").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                        assertThat(e.getStatus().getDescription()).contains("policy 'no-such-policy' does not exist");
                    });
            // every member rejected the same commands and still applies
            Tokens.with(Api.registry(ch), root).register(RegisterRequest.newBuilder().setInstance(Api.instance("after", "a-1", 8080)).build());
            for (RegistryNode n : cluster.nodes()) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    assertThat(Tokens.with(Api.registry(cluster.channel(n.id())), root)
                            .discover(DiscoverRequest.newBuilder().setService("after").setConsistency(io.muster.api.v1.Consistency.LOCAL).build())
                            .getInstancesCount()).isEqualTo(1);
                    assertThat(Gauges.rejected(n, Rejection.Reason.INVALID_ACL.label())).isEqualTo(
                            Gauges.rejected(leader, Rejection.Reason.INVALID_ACL.label()));
                    assertThat(Gauges.rejected(n, Rejection.Reason.ACL_CONFLICT.label())).isEqualTo(
                            Gauges.rejected(leader, Rejection.Reason.ACL_CONFLICT.label()));
                });
            }
            assertThat(Gauges.rejected(leader, Rejection.Reason.INVALID_ACL.label())).isGreaterThanOrEqualTo(8);
        }
    }

}
