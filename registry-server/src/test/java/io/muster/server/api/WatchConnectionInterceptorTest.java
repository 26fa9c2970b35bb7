package io.muster.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.WatchRequest;
import io.muster.api.v1.WatchResponse;
import io.muster.testkit.ClusterTest;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Over real gRPC on 127.0.0.1: Watch calls learn their connection, equal per connection, and the
 * event loop they run on; other calls pass untouched.
 */
@ClusterTest
class WatchConnectionInterceptorTest {

    final List<Optional<SocketAddress>> seen = new CopyOnWriteArrayList<>();
    final List<Optional<Executor>> loopsSeen = new CopyOnWriteArrayList<>();
    final List<Boolean> onThatLoop = new CopyOnWriteArrayList<>();
    final ServerLoops loops = new ServerLoops("test-grpc-loop");
    Server server;
    ManagedChannel first;
    ManagedChannel second;

    final RegistryGrpc.RegistryImplBase service = new RegistryGrpc.RegistryImplBase() {
        @Override
        public void watch(WatchRequest request, StreamObserver<WatchResponse> observer) {
            seen.add(Optional.ofNullable(WatchConnectionInterceptor.CONNECTION.get()));
            Executor loop = WatchConnectionInterceptor.LOOP.get();
            loopsSeen.add(Optional.ofNullable(loop));
            onThatLoop.add(loop instanceof EventExecutor e && e.inEventLoop());
            observer.onNext(WatchResponse.getDefaultInstance());
            observer.onCompleted();
        }

        @Override
        public void register(RegisterRequest request, StreamObserver<RegisterResponse> observer) {
            seen.add(Optional.ofNullable(WatchConnectionInterceptor.CONNECTION.get()));
            loopsSeen.add(Optional.ofNullable(WatchConnectionInterceptor.LOOP.get()));
            observer.onNext(RegisterResponse.getDefaultInstance());
            observer.onCompleted();
        }
    };

    @AfterEach
    void stop() {
        for (ManagedChannel c : new ManagedChannel[] {first, second}) {
            if (c != null) {
                c.shutdownNow();
            }
        }
        if (server != null) {
            server.shutdownNow();
        }
        loops.close();
    }

    private static void watchOnce(ManagedChannel channel) {
        Iterator<WatchResponse> it = RegistryGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .watch(WatchRequest.getDefaultInstance());
        while (it.hasNext()) {
            it.next();
        }
    }

    @Test
    void watchesOnOneConnectionShareItsNameAndAnotherConnectionHasAnother() throws Exception {
        // as a member serves: on its own loops, handlers on the loop of the call's connection
        server = loops.applyTo(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))).directExecutor()
                .addService(ServerInterceptors.intercept(service, RegistryService.watchConnections(loops)))
                .build().start();
        first = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        second = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();

        watchOnce(first);
        watchOnce(first);
        watchOnce(second);
        RegistryGrpc.newBlockingStub(first).withDeadlineAfter(10, TimeUnit.SECONDS).register(RegisterRequest.getDefaultInstance());

        assertThat(seen).hasSize(4);
        assertThat(seen.subList(0, 3)).allSatisfy(c -> assertThat(c).isPresent());
        assertThat(seen.get(1)).isEqualTo(seen.get(0));
        assertThat(seen.get(2)).isNotEqualTo(seen.get(0));
        assertThat(seen.get(3)).as("a Register call carries no connection").isEmpty();
        assertThat(loopsSeen.subList(0, 3)).allSatisfy(l -> assertThat(l).isPresent());
        assertThat(onThatLoop).containsExactly(true, true, true);
        assertThat(loopsSeen.get(3)).as("nor a loop").isEmpty();
        assertThat(loops.current()).as("the test thread is none of the loops").isNull();
    }
}
