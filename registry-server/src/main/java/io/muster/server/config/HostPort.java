package io.muster.server.config;

import com.google.common.net.HostAndPort;
import io.muster.api.HostPorts;
import io.muster.server.catalog.CommandRejectedException;
import io.muster.server.catalog.Rules;
import java.net.InetSocketAddress;

/**
 * A {@code host:port} address, the one parser for every address the server is given (flags, YAML,
 * peer specs, member directory entries). IPv6 hosts are written in brackets: {@code [::1]:9001}.
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host: missing (expected: host:port)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
    }

    /** Parses {@code address}; {@code what} names it in the error, e.g. {@code "grpc address of n1"}. */
    public static HostPort parse(String what, String address) {
        // the catalog's rule for member addresses: an address it would refuse in a directory entry
        // is refused here, at start, instead of on every reconcile
        try {
            Rules.hostPort(what, address == null ? "" : address);
        } catch (CommandRejectedException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        HostAndPort hp = HostPorts.parse(what, address);
        return new HostPort(hp.getHost(), hp.getPort());
    }

    /** An unresolved-name-free socket address to bind or connect to. */
    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
