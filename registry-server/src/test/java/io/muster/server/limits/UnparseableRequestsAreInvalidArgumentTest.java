package io.muster.server.limits;

import static io.muster.testkit.RawCalls.raw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.Instance;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.MembersRequest;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.time.Duration;
import java.util.Iterator;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Request bytes that are not the method's message are answered
 * {@code INVALID_ARGUMENT: request: cannot be parsed as <type> (...)} on unary, server-streaming
 * and bidirectional methods of every service, never UNKNOWN; random bytes that happen to parse get
 * an answer that is neither UNKNOWN nor INTERNAL. The members keep serving.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ClusterTest
class UnparseableRequestsAreInvalidArgumentTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3);

    /** Never parses: a field with wire type 7 (there is none). */
    static final byte[] GARBAGE = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x01, 0x02};

    private static StatusRuntimeException unary(Channel ch, MethodDescriptor<?, ?> method, byte[] bytes) {
        try {
            ClientCalls.blockingUnaryCall(ch, raw(method), CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), bytes);
            return null;
        } catch (StatusRuntimeException e) {
            return e;
        }
    }

    private static StatusRuntimeException serverStreaming(Channel ch, MethodDescriptor<?, ?> method, byte[] bytes) {
        try {
            Iterator<byte[]> it = ClientCalls.blockingServerStreamingCall(ch, raw(method),
                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), bytes);
            it.hasNext();
            return null;
        } catch (StatusRuntimeException e) {
            return e;
        }
    }

    private static void assertUnparseable(StatusRuntimeException e, String type) {
        assertThat(e).isNotNull();
        assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).startsWith("request: cannot be parsed as " + type + " (");
    }

    @Test
    void garbageOnEveryKindOfMethodIsInvalidArgumentNamingTheType() {
        for (String id : cluster.ids()) {
            Channel ch = cluster.channel(id);
            assertUnparseable(unary(ch, RegistryGrpc.getRegisterMethod(), GARBAGE), "muster.v1.RegisterRequest");
            assertUnparseable(unary(ch, RegistryGrpc.getDiscoverMethod(), GARBAGE), "muster.v1.DiscoverRequest");
            assertUnparseable(unary(ch, ClusterGrpc.getMembersMethod(), GARBAGE), "muster.v1.MembersRequest");
            assertUnparseable(unary(ch, HealthGrpc.getCheckMethod(), GARBAGE), "grpc.health.v1.HealthCheckRequest");
            assertUnparseable(serverStreaming(ch, RegistryGrpc.getWatchMethod(), GARBAGE), "muster.v1.WatchRequest");
        }
        Api.register(cluster.channel("n1"), Api.instance("after-garbage", "a1", 1234));
        for (String id : cluster.ids()) {
            assertThat(Api.discover(cluster.channel(id), "after-garbage", Consistency.LINEARIZABLE).getInstancesList())
                    .extracting(Instance::getId).containsExactly("a1");
        }
    }

    @Test
    void garbageOnAKeepAliveStreamEndsItWithInvalidArgumentAfterTheValidRequests() {
        Channel ch = cluster.channel(cluster.aFollower().id());
        long lease = Api.register(ch, Api.instance("billing", "b1", 8080)).getLeaseId();
        AtomicReference<Throwable> ended = new AtomicReference<>();
        java.util.List<byte[]> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
        ClientCall<byte[], byte[]> call = ch.newCall(raw(RegistryGrpc.getKeepAliveMethod()), CallOptions.DEFAULT);
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                answers.add(message);
                call.request(1);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                ended.set(status.asRuntimeException());
            }
        }, new Metadata());
        call.request(1);
        call.sendMessage(KeepAliveRequest.newBuilder().setLeaseId(lease).build().toByteArray());
        await().atMost(Duration.ofSeconds(10)).until(() -> answers.size() == 1);
        call.sendMessage(GARBAGE);
        await().atMost(Duration.ofSeconds(10)).until(() -> ended.get() != null);
        assertUnparseable((StatusRuntimeException) ended.get(), "muster.v1.KeepAliveRequest");
        // a new stream on the same connection renews
        Streams.KeepAlive again = new Streams.KeepAlive(ch).send(lease);
        await().atMost(Duration.ofSeconds(10)).until(() -> again.responses.size() == 1);
        assertThat(again.responses.get(0).getFound()).isTrue();
        again.complete();
    }

    @Test
    void randomBytesAreNeverUnknownOrInternal() {
        long seed = System.nanoTime();
        System.out.println("UnparseableRequestsAreInvalidArgumentTest seed " + seed);
        Random random = new Random(seed);
        Channel ch = cluster.channel(cluster.aFollower().id());
        int unparseable = 0;
        for (int i = 0; i < 200; i++) {
            byte[] bytes = new byte[1 + random.nextInt(64)];
            random.nextBytes(bytes);
            boolean register = i % 3 == 0;
            boolean watch = i % 3 == 1;
            MethodDescriptor<?, ?> method = register ? RegistryGrpc.getRegisterMethod()
                    : watch ? RegistryGrpc.getWatchMethod() : RegistryGrpc.getDiscoverMethod();
            Parser<?> parser = register ? RegisterRequest.parser() : watch ? WatchRequest.parser() : DiscoverRequest.parser();
            boolean parses = parses(parser, bytes);
            StatusRuntimeException e = watch ? serverStreaming(ch, method, bytes) : unary(ch, method, bytes);
            String what = "seed " + seed + ", payload " + i;
            if (!parses) {
                unparseable++;
                assertThat(e).as(what).isNotNull();
                assertThat(e.getStatus().getCode()).as(what + ": " + e.getStatus()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).as(what).startsWith("request: cannot be parsed as ");
            } else if (e != null) {
                assertThat(e.getStatus().getCode()).as(what + ": " + e.getStatus())
                        .isNotIn(Status.Code.UNKNOWN, Status.Code.INTERNAL);
            }
        }
        assertThat(unparseable).as("seed " + seed).isGreaterThan(50);
        assertThat(Api.cluster(ch).members(MembersRequest.getDefaultInstance()).getMembersCount()).isEqualTo(3);
        assertThat(HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus().name()).isEqualTo("SERVING");
    }

    private static boolean parses(Parser<?> parser, byte[] bytes) {
        try {
            parser.parseFrom(bytes);
            return true;
        } catch (InvalidProtocolBufferException e) {
            return false;
        }
    }
}
