package io.muster.client.cli;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.DiscoverResponse;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.ListServicesResponse;
import io.muster.api.v1.Member;
import io.muster.api.v1.MembersRequest;
import io.muster.api.v1.MembersResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.ServiceSummary;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;

/**
 * {@code muster cds-training} (hidden): the training run of {@code bin/muster}'s class-data archive.
 * It runs the common commands, in every output format, against a stand-in member in this JVM (a
 * gRPC server on a loopback port that answers with fixed data), so the class list the launcher
 * records holds what a real command loads — the HTTP/2 exchange, the answer's parsing, the output —
 * and not only what a refused connection loads. Prints nothing; exit code 0 if every command ran.
 */
@Command(name = "cds-training", hidden = true,
        description = "Run the common commands against a stand-in member in this JVM (the class-data archive's training run of bin/muster)")
final class CdsTraining implements Callable<Integer> {

    private static final Member MEMBER = Member.newBuilder().setId("n1").setRaftAddress("127.0.0.1:7001")
            .setGrpcAddress("127.0.0.1:9001").setPeerAddress("127.0.0.1:7101").setLeader(true).setAlive(true).build();
    private static final Instance INSTANCE = Instance.newBuilder().setService("web").setId("web-1")
            .setHost("127.0.0.1").setPort(8080).setWeight(100).setZone("a").setHealth(HealthStatus.HEALTHY).build();

    @Override
    public Integer call() throws IOException, InterruptedException {
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("muster-cds-training", true),
                NioIoHandler.newFactory());
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .channelType(NioServerSocketChannel.class).bossEventLoopGroup(loop).workerEventLoopGroup(loop)
                .addService(new StandInCluster()).addService(new StandInRegistry())
                .build().start();
        try {
            String target = "127.0.0.1:" + server.getPort();
            int failed = 0;
            for (List<String> command : List.of(
                    List.of("members"), List.of("members", "-o", "json"), List.of("members", "-o", "yaml"),
                    List.of("members", "-o", "wide"), List.of("list"), List.of("discover", "web"),
                    List.of("discover", "web", "-o", "json"), List.of("help", "register"))) {
                PrintWriter none = new PrintWriter(Writer.nullWriter());
                List<String> args = new ArrayList<>(List.of("--targets", target, "--timeout-ms", "3000"));
                args.addAll(command);
                failed += MusterCli.run(none, none, args.toArray(String[]::new)) == ExitCode.OK ? 0 : 1;
            }
            return failed == 0 ? ExitCode.OK : ExitCode.ERROR;
        } finally {
            server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }

    private static final class StandInCluster extends ClusterGrpc.ClusterImplBase {
        @Override
        public void members(MembersRequest request, StreamObserver<MembersResponse> response) {
            response.onNext(MembersResponse.newBuilder().addMembers(MEMBER).setLeaderId("n1").setTerm(1).setAnsweredBy("n1").build());
            response.onCompleted();
        }
    }

    private static final class StandInRegistry extends RegistryGrpc.RegistryImplBase {
        @Override
        public void listServices(ListServicesRequest request, StreamObserver<ListServicesResponse> response) {
            response.onNext(ListServicesResponse.newBuilder()
                    .addServices(ServiceSummary.newBuilder().setName("web").setInstances(1).setHealthy(1)).setRevision(1).build());
            response.onCompleted();
        }

        @Override
        public void discover(DiscoverRequest request, StreamObserver<DiscoverResponse> response) {
            response.onNext(DiscoverResponse.newBuilder().addInstances(INSTANCE).setRevision(1).build());
            response.onCompleted();
        }
    }
}
