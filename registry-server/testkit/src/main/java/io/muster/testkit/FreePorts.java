package io.muster.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Ephemeral ports on 127.0.0.1, distinct within one JVM (bound and released: a small race with other
 * processes remains, which is why a port is never handed out twice here).
 */
public final class FreePorts {
    private static final Set<Integer> handedOut = new HashSet<>();

    private FreePorts() {
    }

    public static synchronized int next() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
                int port = s.getLocalPort();
                if (handedOut.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no free port found");
    }

    /** {@code 127.0.0.1:<a free port>}. */
    public static String nextAddress() {
        return "127.0.0.1:" + next();
    }
}
