package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Consistency;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.ExpireLeaseCmd;
import io.muster.internal.v1.RegisterCmd;
import io.muster.internal.v1.SetHealthCmd;
import io.muster.internal.v1.SetMemberCmd;
import io.muster.server.catalog.CommandRejectedException;
import io.muster.server.catalog.Rejection.Reason;
import io.muster.server.testing.Api;
import io.muster.server.testing.Gauges;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands that skipped every API rule, written into the Raft log the way a forged internal proposal
 * did (issue 14: one such Register halted all three members, and every restart halted them again):
 * every member rejects them identically and keeps applying, and after a full restart the members
 * replay them as rejections and serve.
 */
@ClusterTest
class LogWithInvalidCommandsStartsAndServesTest {

    @TempDir
    Path dir;

    /** Proposed through the leader's Raft node directly (its package-private {@code raft()}): no API validation on this path. */
    static List<Command> invalidCommands() {
        return List.of(
                register(Instance.newBuilder().setHost("h").setPort(1).build()), // empty service and id: the original attack
                register(Api.instance("orders", "o-bad", 0)),
                register(Api.instance("orders", "o-bad", 1).toBuilder().setLeaseTtlMs(1L << 61).build()),
                register(Api.instance("orders", "o-bad", 1).toBuilder().setWeight(1_000_000).build()),
                Command.newBuilder().setSetHealth(SetHealthCmd.newBuilder().setService("orders").setInstanceId("o-1")
                        .setHealthValue(42).setReason("forged")).build(),
                Command.newBuilder().setExpireLease(ExpireLeaseCmd.newBuilder().setLeaseId(0)).build(),
                Command.newBuilder().setSetMember(SetMemberCmd.newBuilder().setMember(Member.newBuilder().setId("n1")
                        .setRaftAddress("127.0.0.1:1").setGrpcAddress("evil host:9"))).build());
    }

    static Command register(Instance in) {
        return Command.newBuilder().setNowMs(1).setRegister(RegisterCmd.newBuilder().setInstance(in)).build();
    }

    /** The member's {@code muster_apply_rejected_total} per reason (INVALID_REQUEST is the API's label, never the catalog's). */
    static Map<Reason, Long> rejections(RegistryNode n) {
        return java.util.Arrays.stream(Reason.values()).filter(r -> r != Reason.INVALID_REQUEST)
                .collect(Collectors.toMap(r -> r, r -> Gauges.rejected(n, r.label())));
    }

    static final Map<Reason, Long> EXPECTED = Map.of(Reason.INVALID_INSTANCE, 4L, Reason.INVALID_HEALTH, 1L,
            Reason.INVALID_LEASE, 1L, Reason.INVALID_MEMBER, 1L);

    @Test
    void invalidCommandsInTheLogAreRejectedOnEveryMemberAndReplayedAsRejectionsAfterARestart() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, c -> c.withElectionTimeoutMs(1000).withMetricsPort(0))) {
            String follower = cluster.aFollower().id();
            Api.register(cluster.channel(follower), Api.instance("orders", "o-1", 8080).toBuilder().setLeaseTtlMs(600_000).build());
            RegistryNode leader = cluster.awaitLeader();
            List<Member> directory = Api.snapshot(cluster.channel(leader.id()), false).getMembersList();

            for (Command bad : invalidCommands()) {
                CompletableFuture<?> proposed = leader.raft().propose(bad);
                assertThat(proposed).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
                        .withCauseInstanceOf(CommandRejectedException.class);
            }
            long revision = Gauges.revision(leader);
            assertThat(revision).as("rejected commands take no revision").isEqualTo(1);

            // every member applied the same entries to the same outcome and keeps applying
            Api.register(cluster.channel(follower), Api.instance("orders", "o-2", 8081).toBuilder().setLeaseTtlMs(600_000).build());
            awaitAgreement(cluster, revision + 1);
            for (RegistryNode n : cluster.nodes()) {
                assertThat(Api.snapshot(cluster.channel(n.id()), false).getMembersList()).as("directory of %s", n.id()).isEqualTo(directory);
                assertThat(Api.discover(cluster.channel(n.id()), "orders", Consistency.LOCAL).getInstancesList())
                        .filteredOn(i -> i.getId().equals("o-1")).extracting(Instance::getHealth).containsExactly(HealthStatus.HEALTHY);
            }

            // everything down, everything up: the log is replayed, the bad entries as rejections again
            for (String id : cluster.ids()) {
                cluster.stopNode(id);
            }
            for (String id : cluster.ids()) {
                cluster.startNode(id);
            }
            cluster.awaitLeader();
            awaitAgreement(cluster, revision + 1);
            Api.register(cluster.channel(follower), Api.instance("orders", "o-3", 8082).toBuilder().setLeaseTtlMs(600_000).build());
            assertThat(Api.discover(cluster.channel(follower), "orders", Consistency.LINEARIZABLE).getInstancesList())
                    .extracting(Instance::getId).containsExactlyInAnyOrder("o-1", "o-2", "o-3");
            awaitAgreement(cluster, revision + 2);

            HttpClient http = HttpClient.newHttpClient();
            RegistryNode any = cluster.node(follower);
            String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + any.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(text).containsPattern("muster_apply_rejected_total\\{node=\"" + follower + "\",reason=\"invalid_instance\"} 4")
                    .containsPattern("muster_apply_rejected_total\\{node=\"" + follower + "\",reason=\"nested_batch\"} 0");
        }
    }

    /** Every running member at {@code revision}, with the rejections of the invalid commands counted once. */
    private static void awaitAgreement(LocalCluster cluster, long revision) {
        Awaitility.await("every member at revision " + revision).atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(cluster.nodes()).hasSize(3);
            for (RegistryNode n : cluster.nodes()) {
                assertThat(Gauges.revision(n)).as("revision of %s", n.id()).isEqualTo(revision);
                assertThat(rejections(n)).as("rejections on %s", n.id())
                        .containsAllEntriesOf(EXPECTED)
                        .containsEntry(Reason.NESTED_BATCH, 0L);
            }
        });
    }
}
