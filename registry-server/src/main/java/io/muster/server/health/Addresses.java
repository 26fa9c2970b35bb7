package io.muster.server.health;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/** Resolves probe targets without blocking an event loop: IP literals at once, host names on a blocking pool. */
final class Addresses {

    private final Executor blocking;

    Addresses(Executor blocking) {
        this.blocking = blocking;
    }

    CompletableFuture<InetSocketAddress> resolve(String host, int port) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(bare);
        if (literal != null) {
            try {
                return CompletableFuture.completedFuture(new InetSocketAddress(InetAddress.getByAddress(literal), port));
            } catch (UnknownHostException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return CompletableFuture.supplyAsync(() -> {
            InetSocketAddress a = new InetSocketAddress(bare, port);
            if (a.isUnresolved()) {
                throw new CompletionException(new UnknownHostException(bare));
            }
            return a;
        }, blocking);
    }

    /** {@code host:port} with IPv6 literals in brackets. */
    static String authority(String host, int port) {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
}
