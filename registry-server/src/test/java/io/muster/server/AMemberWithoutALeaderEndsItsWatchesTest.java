package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.server.testing.Api;
import io.muster.testkit.ProcessCluster;
import io.muster.testkit.ProcessTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 (etcd's WithRequireLeader): members are separate JVMs; the two others of a 3-member
 * cluster are SIGKILLed, so the survivor has no leader and its state stops moving. Its watch streams
 * end with UNAVAILABLE ("has had no leader") soon after it has had no leader for an election timeout
 * (1 s here), a new watch is refused, and one with {@code allow_leaderless} is still served. The
 * 3 s leaderless cap: a write and a linearizable read on the survivor answer UNAVAILABLE within about
 * 3 s rather than waiting out their deadline; a LOCAL read still answers.
 */
@ProcessTest
class AMemberWithoutALeaderEndsItsWatchesTest {

    // kept when the test fails: the members' logs are in it
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    /** One watch stream's messages and how it ended. */
    static final class Stream implements StreamObserver<WatchResponse> {
        final List<WatchResponse> messages = new CopyOnWriteArrayList<>();
        final CompletableFuture<Status> ended = new CompletableFuture<>();
        volatile long endedAtNanos;

        @Override
        public void onNext(WatchResponse value) {
            messages.add(value);
        }

        @Override
        public void onError(Throwable t) {
            endedAtNanos = System.nanoTime();
            ended.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            endedAtNanos = System.nanoTime();
            ended.complete(Status.OK);
        }

        long progressCount() {
            return messages.stream().filter(m -> m.getKind() == WatchResponse.Kind.PROGRESS).count();
        }
    }

    private static Stream watch(RegistryGrpc.RegistryStub stub, boolean allowLeaderless) {
        Stream s = new Stream();
        stub.watch(WatchRequest.newBuilder().addServices("orders").setProgressIntervalMs(200).setAllowLeaderless(allowLeaderless).build(), s);
        return s;
    }

    @Test
    void theSurvivorOfTwoKilledMembersEndsItsWatchesAndRefusesNewOnesUnlessLeaderlessIsAllowed() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 3)) {
            String leader = cluster.awaitLeader(Duration.ofSeconds(60)).id();
            String survivor = cluster.members().stream().map(ProcessCluster.Member::id).filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            Api.register(cluster.channel(leader), Api.instance("orders", "o1", 8080));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    Api.discover(cluster.channel(survivor), "orders", Consistency.LOCAL).getInstancesCount() == 1);

            RegistryGrpc.RegistryStub stub = RegistryGrpc.newStub(cluster.channel(survivor));
            Stream required = watch(stub, false);
            Stream leaderless = watch(stub, true);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> required.progressCount() > 0 && leaderless.progressCount() > 0);

            long killedAt = System.nanoTime();
            cluster.members().stream().map(ProcessCluster.Member::id).filter(id -> !id.equals(survivor)).forEach(cluster::kill);

            // the survivor notices within one to two election timeouts (jraft's randomized timer),
            // then allows one more before it ends the streams: about 3 s, checked every 100 ms
            Status status = required.ended.get(6, TimeUnit.SECONDS);
            long endedAfterMs = TimeUnit.NANOSECONDS.toMillis(required.endedAtNanos - killedAt);
            System.out.printf("watch on the leaderless member ended %d ms after the kill: %s%n", endedAfterMs, status);
            assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(status.getDescription()).contains("member " + survivor + " has had no leader");
            assertThat(endedAfterMs).as("ms from the kill to the end of the stream").isLessThan(4_500);

            // a new watch is refused at once; one that allows a leaderless member is served
            Stream refused = watch(stub, false);
            assertThat(refused.ended.get(2, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(refused.messages).isEmpty();
            Stream served = watch(stub, true);
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> served.messages.stream().anyMatch(m ->
                    m.getKind() == WatchResponse.Kind.SNAPSHOT && m.getInstancesCount() == 1));
            long progressBefore = leaderless.progressCount();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> leaderless.progressCount() > progressBefore);
            assertThat(leaderless.ended).isNotDone();
            assertThat(served.ended).isNotDone();

            // the 3 s leaderless cap: a write and a linearizable read fail over instead of waiting out their 20 s deadline
            RegistryGrpc.RegistryBlockingStub blocking = RegistryGrpc.newBlockingStub(cluster.channel(survivor)).withDeadlineAfter(20, TimeUnit.SECONDS);
            long start = System.nanoTime();
            StatusRuntimeException write = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
                    blocking.register(RegisterRequest.newBuilder().setInstance(Api.instance("orders", "o2", 8081)).build()));
            long writeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            start = System.nanoTime();
            StatusRuntimeException read = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
                    blocking.discover(DiscoverRequest.newBuilder().setService("orders").setConsistency(Consistency.LINEARIZABLE).build()));
            long readMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("leaderless member: register failed after %d ms (%s), linearizable read after %d ms (%s)%n",
                    writeMs, write.getStatus(), readMs, read.getStatus());
            assertThat(write.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(read.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(writeMs).isLessThan(4_000);
            assertThat(readMs).isLessThan(4_000);
            assertThat(Api.discover(cluster.channel(survivor), "orders", Consistency.LOCAL).getInstancesCount()).isEqualTo(1);
        }
    }
}
