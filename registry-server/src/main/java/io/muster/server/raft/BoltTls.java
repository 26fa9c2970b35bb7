package io.muster.server.raft;

import com.alipay.remoting.ExtendedNettyChannelHandler;
import com.alipay.remoting.config.BoltClientOption;
import com.alipay.remoting.config.BoltServerOption;
import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.core.NodeImpl;
import com.alipay.sofa.jraft.rpc.impl.AbstractClientService;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcClient;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * TLS on bolt, jraft's transport, per server and per client instance: bolt puts the handlers of its
 * {@code EXTENDED_NETTY_CHANNEL_HANDLER} option at the front of every connection's pipeline, and the
 * one here replaces itself with a fresh {@code SslHandler} of the given context, ahead of bolt's codec.
 *
 * <p>Why not bolt's own TLS options ({@code bolt.server.ssl.*}, {@code bolt.client.ssl.*}): they load
 * a key store file and trust whatever chains to any certificate in it, so they cannot refuse a client
 * certificate of the same CA (the member-identity check lives in the trust manager, see
 * {@code tls/MemberTrustManager}); and jraft creates its bolt client through a process-wide factory
 * (the {@code RaftRpcFactory} service file), so bolt's client options would have to be System
 * properties. The extended handler is an instance option of both the server Muster builds and the
 * client jraft builds, so each member (several, in one test JVM) has its own certificate.
 */
public final class BoltTls {

    private BoltTls() {
    }

    /** TLS on every connection the Raft port accepts (set before the server starts). */
    static void server(com.alipay.remoting.rpc.RpcServer server, SslContext context) {
        server.option(BoltServerOption.EXTENDED_NETTY_CHANNEL_HANDLER, handlers(new SslInstaller(context)));
    }

    /**
     * TLS on every connection jraft's bolt client of {@code node} opens from now on. The client is
     * jraft's own (built in {@code Node.init}, no hook before); bolt reads this option each time it
     * opens a connection, and jraft opens the first one when an election timer fires or a leader
     * starts replicating, so setting it right after the start comes first. Should a connection ever
     * precede it, the peer's TLS port refuses it and jraft reconnects.
     */
    static void client(Node node, SslContext context) {
        client(((AbstractClientService) ((NodeImpl) node).getRpcService()).getRpcClient(), context);
    }

    /** TLS on the connections of any jraft RPC client (a node's, or a {@code CliService}'s: tools and tests that speak to a TLS Raft port). */
    public static void client(com.alipay.sofa.jraft.rpc.RpcClient client, SslContext context) {
        ((BoltRpcClient) client).getRpcClient().option(BoltClientOption.EXTENDED_NETTY_CHANNEL_HANDLER,
                handlers(new ClientSslInstaller(context)));
    }

    private static ExtendedNettyChannelHandler handlers(ChannelHandler installer) {
        List<ChannelHandler> front = List.of(installer);
        return new ExtendedNettyChannelHandler() {
            @Override
            public List<ChannelHandler> frontChannelHandlers() {
                return front;
            }

            @Override
            public List<ChannelHandler> backChannelHandlers() {
                return List.of();
            }
        };
    }

    /**
     * Shared by every connection (bolt adds one instance to each pipeline): puts a new
     * {@code SslHandler} in its own place, which bolt's initializer adds first, before its codec.
     */
    @ChannelHandler.Sharable
    private static final class SslInstaller extends ChannelInboundHandlerAdapter {
        private final SslContext context;

        SslInstaller(SslContext context) {
            this.context = context;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.pipeline().replace(this, "muster-tls", context.newHandler(ctx.alloc()));
        }
    }

    /**
     * The client side's installer: waits for the connect, so that the {@code SslHandler}'s engine
     * knows the address dialled (host as dialled, port). The trust manager reads it there to require
     * the identity of the member at that address ({@code tls/MemberTrustManager}); the handshake
     * starts once the connection is up, before bolt writes anything.
     */
    @ChannelHandler.Sharable
    private static final class ClientSslInstaller extends ChannelOutboundHandlerAdapter {
        private final SslContext context;

        ClientSslInstaller(SslContext context) {
            this.context = context;
        }

        @Override
        public void connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            InetSocketAddress to = (InetSocketAddress) remote;
            ctx.pipeline().addAfter(ctx.name(), "muster-tls", context.newHandler(ctx.alloc(), to.getHostString(), to.getPort()));
            ctx.connect(remote, local, promise);
            ctx.pipeline().remove(this);
        }
    }
}
