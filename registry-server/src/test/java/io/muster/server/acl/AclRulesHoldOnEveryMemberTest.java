package io.muster.server.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.Access;
import io.muster.api.v1.AclGrpc;
import io.muster.api.v1.BootstrapRequest;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.Instance;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.KeepAliveResponse;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.MembersRequest;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.ServiceSummary;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.api.v1.DeleteTokenRequest;
import io.muster.server.RegistryNode;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.server.testing.Tokens;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.RawCalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Three real members with {@code --acl-enabled}, called over real gRPC: the first leader bootstraps
 * once; a call without a token, or with an unknown one, is UNAUTHENTICATED on every public method;
 * rules hold by service-name prefix (a read token cannot register, a Watch of everything sees only
 * readable services); and a deleted token is refused on every member and its open Watch and
 * KeepAlive streams end with PERMISSION_DENIED.
 */
@ClusterTest
class AclRulesHoldOnEveryMemberTest {

    @RegisterExtension
    static final LocalCluster cluster = LocalCluster.perClass(3, c -> c.toBuilder().electionTimeoutMs(1000).aclEnabled(true).build());

    static Stream<MethodDescriptor<?, ?>> publicMethods() {
        List<MethodDescriptor<?, ?>> all = new ArrayList<>();
        for (ServiceDescriptor s : List.of(RegistryGrpc.getServiceDescriptor(), ClusterGrpc.getServiceDescriptor(), AclGrpc.getServiceDescriptor())) {
            all.addAll(s.getMethods());
        }
        // Bootstrap is the one call without a token (it succeeds once per cluster): bootstrapHappensOnce
        all.removeIf(m -> m.equals(AclGrpc.getBootstrapMethod()));
        return all.stream();
    }

    /** Status of one raw call of {@code method} (an empty request), with {@code token} when not null. */
    static Status rawCall(ManagedChannel ch, MethodDescriptor<?, ?> method, String token) {
        ClientCall<byte[], byte[]> call = ch.newCall(RawCalls.raw(method), CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
        CompletableFuture<Status> closed = new CompletableFuture<>();
        Metadata headers = new Metadata();
        if (token != null) {
            headers.put(Tokens.AUTHORIZATION, "Bearer " + token);
        }
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, headers);
        call.request(1);
        call.sendMessage(new byte[0]);
        call.halfClose();
        return closed.join();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("publicMethods")
    void everyPublicMethodWithoutAValidTokenIsUnauthenticatedOnEveryMember(MethodDescriptor<?, ?> method) {
        Tokens.bootstrapToken(cluster);
        for (String id : cluster.ids()) {
            ManagedChannel ch = cluster.channel(id);
            assertThat(rawCall(ch, method, null).getCode()).as("%s on %s without a token", method.getFullMethodName(), id)
                    .isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(rawCall(ch, method, "0123456789abcdef0123456789abcdef.not-the-secret").getCode())
                    .as("%s on %s with an unknown token", method.getFullMethodName(), id).isEqualTo(Status.Code.UNAUTHENTICATED);
        }
    }

    @Test
    void bootstrapHappensOnceAndItsFileIsOwnerOnly() throws Exception {
        String token = Tokens.bootstrapToken(cluster);
        Path file = cluster.ids().stream().map(id -> cluster.configOf(id).bootstrapTokenFile()).filter(Files::exists).findFirst().orElseThrow();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(cluster.ids().stream().map(id -> cluster.configOf(id).bootstrapTokenFile()).filter(Files::exists)).hasSize(1);
        // the bootstrap token may do everything, on any member
        for (String id : cluster.ids()) {
            assertThat(Tokens.with(Api.cluster(cluster.channel(id)), token).members(MembersRequest.getDefaultInstance()).getMembersCount()).isEqualTo(3);
        }
        for (String id : cluster.ids()) {
            assertThatThrownBy(() -> AclGrpc.newBlockingStub(cluster.channel(id)).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .bootstrap(BootstrapRequest.getDefaultInstance()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                        assertThat(e.getStatus().getDescription()).contains("bootstrapped already");
                    });
        }
    }

    @Test
    void aReadTokenCannotRegisterAndIsToldWhichRuleIsMissing() {
        String root = Tokens.bootstrapToken(cluster);
        ManagedChannel ch = cluster.channel(cluster.aFollower().id());
        String reader = Tokens.tokenWith(ch, root, "orders-read", Tokens.rule(Access.READ, "orders"));
        assertThatThrownBy(() -> Tokens.with(Api.registry(ch), reader)
                .register(RegisterRequest.newBuilder().setInstance(Api.instance("orders", "o-r", 8080)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("write on service \"orders\"");
                });
        // it may read what it names, and nothing else
        Tokens.with(Api.registry(ch), reader).discover(DiscoverRequest.newBuilder().setService("orders").build());
        assertThatThrownBy(() -> Tokens.with(Api.registry(ch), reader).discover(DiscoverRequest.newBuilder().setService("payments").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
                        .contains("read on service \"payments\""));
        // and no cluster operation
        assertThatThrownBy(() -> Tokens.with(Api.cluster(ch), reader).members(MembersRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("operator");
                });
    }

    @Test
    void rulesMatchByServiceNamePrefixAndAWatchOfEverythingSeesOnlyReadableServices() {
        String root = Tokens.bootstrapToken(cluster);
        ManagedChannel ch = cluster.channel(cluster.aFollower().id());
        String shop = Tokens.tokenWith(ch, root, "shop-write", Tokens.rule(Access.WRITE, "shop"));
        var writer = Tokens.with(Api.registry(ch), shop);
        writer.register(RegisterRequest.newBuilder().setInstance(Api.instance("shop", "s-1", 8080)).build());
        writer.register(RegisterRequest.newBuilder().setInstance(Api.instance("shop-eu", "s-2", 8080)).build());
        assertThatThrownBy(() -> writer.register(RegisterRequest.newBuilder().setInstance(Api.instance("shoe", "x-1", 8080)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        Tokens.with(Api.registry(ch), root).register(RegisterRequest.newBuilder().setInstance(Api.instance("billing", "b-1", 8080)).build());

        // a Watch of everything: a snapshot and events of shop* only
        WatchStream watch = new WatchStream();
        Tokens.with(RegistryGrpc.newStub(ch), shop).watch(WatchRequest.getDefaultInstance(), watch);
        Tokens.with(Api.registry(ch), root).register(RegisterRequest.newBuilder().setInstance(Api.instance("billing", "b-2", 8080)).build());
        writer.register(RegisterRequest.newBuilder().setInstance(Api.instance("shop", "s-3", 8080)).build());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> watch.services().contains("shop")
                && watch.messages.stream().anyMatch(m -> m.getEventsList().stream().anyMatch(e -> e.getInstance().getId().equals("s-3"))));
        assertThat(watch.services()).containsOnly("shop", "shop-eu");
        watch.cancel();

        List<String> listed = Tokens.with(Api.registry(ch), shop).listServices(ListServicesRequest.getDefaultInstance())
                .getServicesList().stream().map(ServiceSummary::getName).toList();
        assertThat(listed).containsExactlyInAnyOrder("shop", "shop-eu");
        assertThat(Tokens.with(Api.registry(ch), root).listServices(ListServicesRequest.getDefaultInstance())
                .getServicesList().stream().map(ServiceSummary::getName)).contains("billing", "shop");
    }

    @Test
    void aDeletedTokenIsRefusedOnEveryMemberAndItsOpenStreamsEndWithPermissionDenied() {
        String root = Tokens.bootstrapToken(cluster);
        RegistryNode leader = cluster.awaitLeader();
        ManagedChannel follower = cluster.channel(cluster.aFollower().id());
        String token = Tokens.tokenWith(follower, root, "cart-write", Tokens.rule(Access.WRITE, "cart"));
        RegisterResponse reg = Tokens.with(Api.registry(follower), token)
                .register(RegisterRequest.newBuilder().setInstance(Api.instance("cart", "c-1", 8080).toBuilder().setLeaseTtlMs(60_000)).build());

        // a watch on a follower, keep-alives through a follower (relayed) and on the leader
        WatchStream watch = new WatchStream();
        Tokens.with(RegistryGrpc.newStub(follower), token).watch(WatchRequest.newBuilder().addServices("cart").build(), watch);
        KeepAlives viaFollower = new KeepAlives();
        StreamObserver<KeepAliveRequest> up1 = Tokens.with(RegistryGrpc.newStub(follower), token).keepAlive(viaFollower);
        KeepAlives onLeader = new KeepAlives();
        StreamObserver<KeepAliveRequest> up2 = Tokens.with(RegistryGrpc.newStub(cluster.channel(leader.id())), token).keepAlive(onLeader);
        up1.onNext(KeepAliveRequest.newBuilder().setLeaseId(reg.getLeaseId()).build());
        up2.onNext(KeepAliveRequest.newBuilder().setLeaseId(reg.getLeaseId()).build());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !watch.messages.isEmpty()
                && !viaFollower.answers.isEmpty() && !onLeader.answers.isEmpty());
        assertThat(viaFollower.answers.get(0).getFound()).isTrue();

        String accessor = token.substring(0, token.indexOf('.'));
        assertThat(Tokens.acl(follower, root).deleteToken(DeleteTokenRequest.newBuilder().setAccessorId(accessor).build()).getFound()).isTrue();

        for (CompletableFuture<Status> ended : List.of(watch.ended, viaFollower.ended, onLeader.ended)) {
            Status s = ended.completeOnTimeout(Status.DEADLINE_EXCEEDED, 10, TimeUnit.SECONDS).join();
            assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(s.getDescription()).contains(accessor).contains("deleted");
        }
        // refused on every member as soon as each has applied the deletion
        for (String id : cluster.ids()) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThatThrownBy(() -> Tokens.with(Api.registry(cluster.channel(id)), token)
                            .discover(DiscoverRequest.newBuilder().setService("cart").setConsistency(Consistency.LOCAL).build()))
                            .isInstanceOfSatisfying(StatusRuntimeException.class,
                                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED)));
        }
    }

    /** One watch stream. */
    static final class WatchStream implements StreamObserver<WatchResponse> {
        final List<WatchResponse> messages = new CopyOnWriteArrayList<>();
        final CompletableFuture<Status> ended = new CompletableFuture<>();

        java.util.Set<String> services() {
            java.util.Set<String> s = new java.util.HashSet<>();
            for (WatchResponse m : messages) {
                m.getInstancesList().forEach(i -> s.add(i.getService()));
                m.getEventsList().forEach(e -> s.add(e.getInstance().getService()));
            }
            return s;
        }

        void cancel() {
            ended.complete(Status.CANCELLED);
        }

        @Override
        public void onNext(WatchResponse value) {
            if (!ended.isDone()) {
                messages.add(value);
            }
        }

        @Override
        public void onError(Throwable t) {
            ended.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            ended.complete(Status.OK);
        }
    }

    static final class KeepAlives implements StreamObserver<KeepAliveResponse> {
        final List<KeepAliveResponse> answers = new CopyOnWriteArrayList<>();
        final CompletableFuture<Status> ended = new CompletableFuture<>();

        @Override
        public void onNext(KeepAliveResponse value) {
            answers.add(value);
        }

        @Override
        public void onError(Throwable t) {
            ended.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            ended.complete(Status.OK);
        }
    }

}
