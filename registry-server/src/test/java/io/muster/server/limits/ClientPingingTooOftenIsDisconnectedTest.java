package io.muster.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.api.v1.Consistency;
import io.muster.server.RegistryNode;
import io.muster.server.config.Limits;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code permit-keep-alive-time-ms}: a client that pings an idle connection more often than the
 * member permits is told to go away (HTTP/2 GOAWAY {@code ENHANCE_YOUR_CALM}, grpc-java's
 * enforcement after three early pings), while a well-behaved connection to the same member stays.
 *
 * <p>grpc-java clients ping at most every 10 s, so the strict member here permits one ping an hour:
 * the third 10 s ping, about 30 s in, ends the connection. A member with the default permit (5 s)
 * keeps the same client's connection.
 */
@ClusterTest
class ClientPingingTooOftenIsDisconnectedTest {

    @TempDir
    Path dir;

    @Test
    void aClientPingingMoreOftenThanPermittedLosesItsConnectionAndOneWithinThePermitKeepsIt() {
        try (LocalCluster strict = LocalCluster.start(dir.resolve("strict"), 1, c -> c.withLimits(Limits.builder()
                     .permitKeepAliveTimeMs(3_600_000).maxConnectionIdleMs(0).build()));
             LocalCluster lenient = LocalCluster.start(dir.resolve("lenient"), 1, c -> c.withLimits(Limits.builder()
                     .permitKeepAliveTimeMs(Limits.DEFAULT_PERMIT_KEEP_ALIVE_TIME_MS).maxConnectionIdleMs(0).build()))) {
            ManagedChannel tooOften = pinging(strict.awaitLeader());
            // grpc-java's own default (5 minutes) would end this one too: only our setting keeps it
            ManagedChannel permitted = pinging(lenient.awaitLeader());
            ManagedChannel quiet = NettyChannelBuilder.forTarget(strict.awaitLeader().grpcAddress()).usePlaintext().build();
            try {
                for (ManagedChannel ch : new ManagedChannel[] {tooOften, permitted, quiet}) {
                    Api.discover(ch, "any", Consistency.LOCAL);
                    assertThat(ch.getState(false)).isEqualTo(ConnectivityState.READY);
                }
                await("the strict member ends the pinging connection").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> tooOften.getState(false) != ConnectivityState.READY);
                // past the third ping of the permitted one too (same 10 s rhythm, started a little later)
                await("the lenient member keeps its pinging connection").during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8))
                        .until(() -> permitted.getState(false) == ConnectivityState.READY);
                assertThat(quiet.getState(false)).isEqualTo(ConnectivityState.READY);
                // the member goes on serving, the offender too once it reconnects
                Api.discover(quiet, "any", Consistency.LOCAL);
                Api.discover(tooOften, "any", Consistency.LOCAL);
            } finally {
                tooOften.shutdownNow();
                permitted.shutdownNow();
                quiet.shutdownNow();
            }
        }
    }

    private static ManagedChannel pinging(RegistryNode node) {
        return NettyChannelBuilder.forTarget(node.grpcAddress()).usePlaintext()
                .keepAliveTime(10, TimeUnit.SECONDS).keepAliveWithoutCalls(true).build();
    }
}
