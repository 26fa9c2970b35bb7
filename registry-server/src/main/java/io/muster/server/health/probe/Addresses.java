package io.muster.server.health.probe;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Resolves probe targets without blocking an event loop: IP literals at once, host names on a
 * blocking pool. That pool is bounded; a resolution it refuses fails the probe at once ("resolver
 * busy"), which is what the probe's timeout would have said after waiting behind the queue.
 */
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
        try {
            return CompletableFuture.supplyAsync(() -> {
                InetSocketAddress a = new InetSocketAddress(bare, port);
                if (a.isUnresolved()) {
                    throw new CompletionException(new UnknownHostException(bare));
                }
                return a;
            }, blocking);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new RejectedExecutionException("resolver busy, " + bare + " not resolved", e));
        }
    }

    /** {@code host:port} with IPv6 literals in brackets. */
    static String authority(String host, int port) {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
}
