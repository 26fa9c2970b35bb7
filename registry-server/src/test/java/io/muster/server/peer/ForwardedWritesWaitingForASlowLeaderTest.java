package io.muster.server.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.internal.v1.ForwardBatchRequest;
import io.muster.internal.v1.ForwardBatchResponse;
import io.muster.internal.v1.ForwardedCall;
import io.muster.internal.v1.ForwardedResult;
import io.muster.internal.v1.ForwardingGrpc;
import io.muster.server.catalog.Catalog;
import io.muster.testkit.ClusterTest;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A follower's forward queue in front of a leader that answers only when the test says so (a real
 * gRPC server on 127.0.0.1): calls wait while a batch is in flight, keep their own deadlines, leave
 * in order, and a full queue refuses at once.
 */
@ClusterTest
class ForwardedWritesWaitingForASlowLeaderTest {

    private record Held(ForwardBatchRequest request, StreamObserver<ForwardBatchResponse> observer) {}

    private final BlockingQueue<Held> held = new LinkedBlockingQueue<>();
    private final List<Integer> batchSizes = new ArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private Server leaderPeerListener;
    private PeerChannels peers;
    private Member leader;

    @BeforeEach
    void start() throws Exception {
        leaderPeerListener = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).directExecutor()
                .addService(new ForwardingGrpc.ForwardingImplBase() {
                    @Override
                    public void forwardBatch(ForwardBatchRequest request, StreamObserver<ForwardBatchResponse> observer) {
                        held.add(new Held(request, observer));
                    }
                }).build().start();
        leader = Member.newBuilder().setId("n1").setPeerAddress("127.0.0.1:" + leaderPeerListener.getPort()).build();
        peers = new PeerChannels("n2", new PeerDirectory(new Catalog(), List.of()), Runnable::run);
    }

    @AfterEach
    void stop() {
        peers.close();
        leaderPeerListener.shutdownNow();
        timer.shutdownNow();
    }

    private ForwardBatcher batcher(ForwardBatcher.Limits limits) {
        return new ForwardBatcher(peers, limits, System::nanoTime, size -> {
            synchronized (batchSizes) {
                batchSizes.add(size);
            }
        });
    }

    private CompletableFuture<RegisterResponse> register(ForwardBatcher b, String id, long timeoutMs) {
        RegisterRequest r = RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("s").setId(id)).build();
        return b.call(leader, RegistryGrpc.getRegisterMethod(), r, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
    }

    private Held nextBatch() throws InterruptedException {
        Held h = held.poll(10, TimeUnit.SECONDS);
        assertThat(h).as("a batch reached the leader").isNotNull();
        return h;
    }

    /** Answers every call of {@code h} OK with its instance id, in order. */
    private static void answerAll(Held h) throws Exception {
        ForwardBatchResponse.Builder b = ForwardBatchResponse.newBuilder();
        for (ForwardedCall c : h.request().getCallsList()) {
            String id = RegisterRequest.parseFrom(c.getRequest()).getInstance().getId();
            b.addResults(ForwardedResult.newBuilder().setResponse(RegisterResponse.newBuilder().setInstanceId(id).build().toByteString()));
        }
        h.observer().onNext(b.build());
        h.observer().onCompleted();
    }

    private static List<String> ids(Held h) throws Exception {
        List<String> ids = new ArrayList<>();
        for (ForwardedCall c : h.request().getCallsList()) {
            ids.add(RegisterRequest.parseFrom(c.getRequest()).getInstance().getId());
        }
        return ids;
    }

    @Test
    void writesQueuedBehindABatchInFlightGoTogetherInArrivalOrder() throws Exception {
        ForwardBatcher b = batcher(new ForwardBatcher.Limits(1, 32, 512, 100));
        CompletableFuture<RegisterResponse> first = register(b, "i-0", 10_000);
        Held firstBatch = nextBatch();
        assertThat(ids(firstBatch)).containsExactly("i-0");
        List<CompletableFuture<RegisterResponse>> waiting = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            waiting.add(register(b, "i-" + i, 10_000));
            expected.add("i-" + i);
        }
        assertThat(b.queued()).isEqualTo(10);
        assertThat(held).as("nothing more goes while the one batch allowed is in flight").isEmpty();
        answerAll(firstBatch);
        assertThat(first.get(10, TimeUnit.SECONDS).getInstanceId()).isEqualTo("i-0");
        Held second = nextBatch();
        assertThat(ids(second)).containsExactlyElementsOf(expected);
        assertThat(second.request().getCallsList()).allSatisfy(c -> assertThat(c.getTimeoutMs()).isBetween(1L, 10_000L));
        answerAll(second);
        for (int i = 0; i < waiting.size(); i++) {
            assertThat(waiting.get(i).get(10, TimeUnit.SECONDS).getInstanceId()).isEqualTo("i-" + (i + 1));
        }
        assertThat(batchSizes).containsExactly(1, 10);
        assertThat(b.queued()).isZero();
    }

    @Test
    void aWriteWhoseDeadlinePassesWhileQueuedFailsThenAndIsNeverSent() throws Exception {
        ForwardBatcher b = batcher(new ForwardBatcher.Limits(1, 32, 512, 100));
        register(b, "in-flight", 10_000);
        Held firstBatch = nextBatch();
        // as the follower's handler runs: in the client call's context, which gRPC cancels at its deadline
        Context.CancellableContext call = Context.current().withDeadlineAfter(200, TimeUnit.MILLISECONDS, timer);
        CompletableFuture<RegisterResponse> late = call.call(() -> register(b, "late", 200));
        CompletableFuture<RegisterResponse> patient = register(b, "patient", 10_000);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(late::isDone);
        assertThat(patient).isNotDone();
        assertThatThrownBy(() -> late.get()).isInstanceOf(ExecutionException.class).cause()
                .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        answerAll(firstBatch);
        Held second = nextBatch();
        assertThat(ids(second)).containsExactly("patient");
        answerAll(second);
        assertThat(patient.get(10, TimeUnit.SECONDS).getInstanceId()).isEqualTo("patient");
    }

    @Test
    void aFullQueueRefusesAtOnceWithResourceExhausted() throws Exception {
        ForwardBatcher b = batcher(new ForwardBatcher.Limits(1, 32, 512, 2));
        register(b, "in-flight", 10_000);
        Held firstBatch = nextBatch();
        CompletableFuture<RegisterResponse> q1 = register(b, "q1", 10_000);
        CompletableFuture<RegisterResponse> q2 = register(b, "q2", 10_000);
        CompletableFuture<RegisterResponse> refused = register(b, "q3", 10_000);
        assertThat(refused).isCompletedExceptionally();
        assertThatThrownBy(refused::join).cause().isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> {
                    Status s = Status.fromThrowable(e);
                    assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(s.getDescription()).contains("2 writes waiting (limit 2)");
                });
        answerAll(firstBatch);
        Held second = nextBatch();
        assertThat(ids(second)).containsExactly("q1", "q2");
        answerAll(second);
        assertThat(q1.get(10, TimeUnit.SECONDS).getInstanceId()).isEqualTo("q1");
        assertThat(q2.get(10, TimeUnit.SECONDS).getInstanceId()).isEqualTo("q2");
    }

    @Test
    void eachCallOfABatchGetsItsOwnStatusAndAFailedBatchFailsEachWithItsStatus() throws Exception {
        ForwardBatcher b = batcher(new ForwardBatcher.Limits(1, 32, 512, 100));
        CompletableFuture<RegisterResponse> lost = register(b, "in-flight", 10_000);
        Held firstBatch = nextBatch();
        CompletableFuture<RegisterResponse> ok = register(b, "ok", 10_000);
        CompletableFuture<RegisterResponse> bad = register(b, "bad", 10_000);
        // the leader lost its leadership while the first batch was in flight
        firstBatch.observer().onError(Status.UNAVAILABLE.withDescription("leader gone").asRuntimeException());
        assertThatThrownBy(() -> lost.get(10, TimeUnit.SECONDS)).cause().satisfies(e -> {
            // what the forwarder retries, on whichever member leads by then
            assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(Status.fromThrowable(e).getDescription()).isEqualTo("leader gone");
        });
        Held second = nextBatch();
        second.observer().onNext(ForwardBatchResponse.newBuilder()
                .addResults(ForwardedResult.newBuilder().setResponse(RegisterResponse.newBuilder().setInstanceId("ok").build().toByteString()))
                .addResults(ForwardedResult.newBuilder().setCode(Status.Code.INVALID_ARGUMENT.value()).setMessage("instance.port: 0"))
                .build());
        second.observer().onCompleted();
        assertThat(ok.get(10, TimeUnit.SECONDS).getInstanceId()).isEqualTo("ok");
        assertThatThrownBy(bad::join).cause().satisfies(e -> {
            assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(Status.fromThrowable(e).getDescription()).isEqualTo("instance.port: 0");
        });
    }
}
