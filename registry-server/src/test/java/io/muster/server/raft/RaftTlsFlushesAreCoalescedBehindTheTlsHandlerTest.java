package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.remoting.ExtendedNettyChannelHandler;
import com.alipay.remoting.config.BoltClientOption;
import com.alipay.remoting.config.BoltServerOption;
import com.alipay.remoting.rpc.RpcClient;
import com.alipay.remoting.rpc.RpcServer;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcClient;
import io.muster.server.config.PeerTlsFiles;
import io.muster.server.testing.TestPki;
import io.muster.server.tls.PeerTls;
import io.muster.testkit.UnitTest;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Both ends of a Raft connection with peer TLS get the {@code SslHandler} and, right behind it (on
 * the codec's side), a {@link FlushConsolidationHandler}: bolt flushes every Raft message on its own,
 * and without it each flush becomes its own TLS record and socket write.
 */
@UnitTest
class RaftTlsFlushesAreCoalescedBehindTheTlsHandlerTest {

    private static final TestPki PKI = TestPki.create("muster-test-ca");

    private static PeerTls tls() throws Exception {
        PeerTlsFiles files = PKI.member("n1");
        return PeerTls.load(files.certificate(), files.key(), files.ca());
    }

    private static List<String> tlsPart(EmbeddedChannel channel) {
        List<String> names = channel.pipeline().names();
        int at = names.indexOf(BoltTls.TLS);
        assertThat(at).as("pipeline %s", names).isGreaterThanOrEqualTo(0);
        assertThat(channel.pipeline().get(BoltTls.TLS)).isInstanceOf(SslHandler.class);
        return names.subList(at, Math.min(at + 2, names.size()));
    }

    @Test
    void anAcceptedConnectionCoalescesFlushesBehindItsTlsHandler() throws Exception {
        RpcServer server = new RpcServer("127.0.0.1", 1, true);
        BoltTls.server(server, tls().raftServerContext());
        ExtendedNettyChannelHandler extended = server.option(BoltServerOption.EXTENDED_NETTY_CHANNEL_HANDLER);
        EmbeddedChannel channel = new EmbeddedChannel(extended.frontChannelHandlers().toArray(ChannelHandler[]::new));
        try {
            assertThat(tlsPart(channel)).containsExactly(BoltTls.TLS, BoltTls.FLUSHES);
            assertThat(channel.pipeline().get(BoltTls.FLUSHES)).isInstanceOf(FlushConsolidationHandler.class);
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aDialledConnectionCoalescesFlushesBehindItsTlsHandler() throws Exception {
        RpcClient bolt = new RpcClient();
        BoltRpcClient client = new BoltRpcClient(bolt);
        BoltTls.client(client, tls().raftClientContext((host, port) -> Optional.of("n2")));
        ExtendedNettyChannelHandler extended = bolt.option(BoltClientOption.EXTENDED_NETTY_CHANNEL_HANDLER);
        EmbeddedChannel channel = new EmbeddedChannel(extended.frontChannelHandlers().toArray(ChannelHandler[]::new));
        try {
            // the client side installs its TLS handler on connect, with the address dialled
            channel.connect(new InetSocketAddress("127.0.0.1", 7001));
            assertThat(tlsPart(channel)).containsExactly(BoltTls.TLS, BoltTls.FLUSHES);
            assertThat(channel.pipeline().get(BoltTls.FLUSHES)).isInstanceOf(FlushConsolidationHandler.class);
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
