package io.muster.server.health;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A TCP listener on 127.0.0.1 that accepts and drops connections; can be closed and reopened on the same port. */
final class TcpBackend implements AutoCloseable {

    private volatile int port;
    private ServerSocket socket;

    static TcpBackend start() {
        TcpBackend b = new TcpBackend();
        b.open(0);
        return b;
    }

    int port() {
        return port;
    }

    private synchronized void open(int p) {
        try {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p), 128);
            socket = s;
            port = s.getLocalPort();
            Thread t = new Thread(() -> {
                // accept so that the backlog never fills up
                while (!s.isClosed()) {
                    try (Socket c = s.accept()) {
                        // an orderly close, as a real server would do
                        c.shutdownOutput();
                    } catch (IOException e) {
                        // closed, or the prober reset first
                    }
                }
            }, "test-tcp-backend-" + port);
            t.setDaemon(true);
            t.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized void close0() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            socket = null;
        }
    }

    /** Stops listening: connects are refused. */
    void stop() {
        close0();
    }

    synchronized void reopen() {
        close0();
        open(port);
    }

    @Override
    public void close() {
        close0();
    }
}
