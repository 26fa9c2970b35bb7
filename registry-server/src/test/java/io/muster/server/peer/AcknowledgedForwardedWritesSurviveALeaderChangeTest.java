package io.muster.server.peer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.Status;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.server.RegistryNode;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The leader stops while batches of forwarded writes are in flight: every write a client saw
 * acknowledged is in the catalog of the new leader, at the revision it was acknowledged with (not
 * applied again after), and a write that failed failed with a status a client retries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class AcknowledgedForwardedWritesSurviveALeaderChangeTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    @Test
    void noAcknowledgedWriteIsLostOrAppliedAgain() throws Exception {
        RegistryNode oldLeader = cluster.awaitLeader();
        RegistryNode follower = cluster.aFollower();
        var stub = RegistryGrpc.newFutureStub(cluster.channel(follower.id())).withDeadlineAfter(30, TimeUnit.SECONDS);
        int n = 800;
        List<ListenableFuture<RegisterResponse>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            calls.add(stub.register(RegisterRequest.newBuilder().setInstance(Api.instance("moving", "m-" + i, 30_000 + i)).build()));
            if (i == n / 4) {
                cluster.stopNode(oldLeader.id());
            }
        }
        Map<String, Long> acknowledged = new HashMap<>();
        int failed = 0;
        for (var call : calls) {
            try {
                RegisterResponse r = call.get(60, TimeUnit.SECONDS);
                acknowledged.put(r.getInstanceId(), r.getRevision());
            } catch (ExecutionException e) {
                failed++;
                assertThat(Status.fromThrowable(e.getCause()).getCode()).as("a failed write's status")
                        .isIn(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED);
            }
        }
        assertThat(acknowledged).as("acknowledged writes (failed: %d)", failed).isNotEmpty();
        RegistryNode newLeader = cluster.awaitLeader();
        assertThat(newLeader.id()).isNotEqualTo(oldLeader.id());
        for (String id : cluster.ids()) {
            if (id.equals(oldLeader.id())) {
                continue;
            }
            List<Instance> got = Api.discover(cluster.channel(id), "moving", Consistency.LINEARIZABLE).getInstancesList();
            Map<String, Long> byId = new HashMap<>();
            got.forEach(i -> byId.put(i.getId(), i.getModRevision()));
            assertThat(got).as("no instance twice on %s", id).hasSize(byId.size());
            // every acknowledged write is there, last changed by the very write that was acknowledged
            assertThat(byId).as("catalog of %s", id).containsAllEntriesOf(acknowledged);
        }
    }
}
