package io.muster.robustness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 3 s leaderless cap for a member cut off from the leader by a real partition (the review's
 * missing test; the earlier test of the cap killed the other members, whose refused connections
 * fail a forwarded call at once). Here the follower's links are blackholed: its forwarded call to
 * the leader it still knows gets no answer and no reset. A write with a 10 s deadline on it must
 * answer UNAVAILABLE within about the cap, so the client fails over, rather than wait out its
 * deadline; so must a LINEARIZABLE read; a LOCAL read answers.
 */
@ProcessTest
class AWriteOnAMemberCutOffFromTheLeaderFailsWithinTheLeaderlessCapTest {

    private static final Duration CAP_AND_SLACK = Duration.ofMillis(3_000 + 1_000);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void aPartitionedFollowerAnswersUnavailableWithinTheCap() {
        try (ProcessCluster cluster = ProcessCluster.builder(dir).size(3).proxiedLinks().start()) {
            String leader = cluster.awaitLeader(ProcessCluster.FIRST_LEADER_TIMEOUT).id();
            cluster.awaitEveryMemberServing(ProcessCluster.FIRST_LEADER_TIMEOUT); // a leader needs only two of three
            String follower = cluster.members().stream().map(ProcessCluster.Member::id).filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            var stub = RegistryGrpc.newBlockingStub(cluster.channel(follower));
            // a forwarded write works before the partition (the peer channel to the leader is connected)
            stub.withDeadlineAfter(10, TimeUnit.SECONDS).register(request("before"));

            cluster.network().isolate(follower);
            long start = System.nanoTime();
            assertThatThrownBy(() -> stub.withDeadlineAfter(10, TimeUnit.SECONDS).register(request("during")))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).as("%s", e.getStatus()).isEqualTo(Status.Code.UNAVAILABLE));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            System.out.println("write on the partitioned follower failed after " + took.toMillis() + " ms");
            assertThat(took).isLessThan(CAP_AND_SLACK);

            long readStart = System.nanoTime();
            assertThatThrownBy(() -> MemberCalls.discover(cluster, follower, "cap", Consistency.LINEARIZABLE, Duration.ofSeconds(10)))
                    .isInstanceOf(StatusRuntimeException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - readStart)).isLessThan(CAP_AND_SLACK);
            assertThat(MemberCalls.discover(cluster, follower, "cap", Consistency.LOCAL, Duration.ofSeconds(2)).getInstancesCount()).isEqualTo(1);
        }
    }

    private static RegisterRequest request(String id) {
        return RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("cap").setId(id).setHost("127.0.0.1")
                .setPort(7100).setLeaseTtlMs(600_000)).build();
    }
}
