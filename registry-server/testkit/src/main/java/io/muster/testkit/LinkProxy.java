package io.muster.testkit;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A userspace TCP proxy for one directed link between two members (connections that {@code from}
 * opens to {@code to}), which a fault-injection test controls. netem is not available on this
 * kernel and network namespaces need root; a proxy needs neither.
 *
 * <p>Each direction of a connection ({@link Direction#FORWARD}: bytes {@code from} sends,
 * {@link Direction#BACKWARD}: the answers) is set on its own to one {@link Mode}, plus an added
 * delay. What the modes model:
 * <ul>
 *   <li>{@link Mode#PASS}: bytes go through (after the delay, in order).</li>
 *   <li>{@link Mode#BLACKHOLE}: a partition. Bytes are read and thrown away, the sender sees its
 *       writes succeed and nothing comes back; a new connection is accepted but reaches nothing. A
 *       connection that lost bytes is closed when the link heals (TCP never delivers a stream with
 *       a hole: a real connection across a long partition times out).</li>
 *   <li>{@link Mode#DROP}: connections are reset at once and new ones closed as soon as accepted
 *       (a crashed host's kernel, or a firewall that rejects).</li>
 * </ul>
 *
 * <p>Thread-safe. Two threads per connection direction pair (a reader and a writer each way): the
 * links of a test cluster carry a handful of connections.
 */
public final class LinkProxy implements Closeable {

    /** What happens to bytes in one direction. */
    public enum Mode { PASS, BLACKHOLE, DROP }

    /** Which bytes of a connection: sent by the dialling member, or by the dialled one. */
    public enum Direction { FORWARD, BACKWARD }

    private static final int CHUNK = 16 * 1024;
    private static final int QUEUE_CHUNKS = 256;

    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Conn> conns = ConcurrentHashMap.newKeySet();
    private final AtomicLong forwardedBytes = new AtomicLong();
    private final AtomicLong discardedBytes = new AtomicLong();
    private volatile Mode forward = Mode.PASS;
    private volatile Mode backward = Mode.PASS;
    private volatile long delayNanos;
    private volatile boolean closed;

    private LinkProxy(String name, InetSocketAddress target, ServerSocket server) {
        this.name = name;
        this.target = target;
        this.server = server;
    }

    /**
     * A proxy on a free 127.0.0.1 port to {@code target}, accepting at once. The port comes from
     * {@link FreePorts}, like the members' ports: a port of the kernel's choosing could be one
     * handed out to a member that has not bound it yet (its start then fails: address in use).
     */
    public static LinkProxy start(String name, InetSocketAddress target) {
        try {
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), FreePorts.next()), 50);
            LinkProxy proxy = new LinkProxy(name, target, server);
            Thread t = new Thread(proxy::acceptLoop, "link-proxy-accept-" + name);
            t.setDaemon(true);
            t.start();
            return proxy;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code 127.0.0.1:port} to dial instead of the target. */
    public String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    public String name() {
        return name;
    }

    public void set(Direction direction, Mode mode) {
        Mode before;
        if (direction == Direction.FORWARD) {
            before = forward;
            forward = mode;
        } else {
            before = backward;
            backward = mode;
        }
        if (mode == Mode.DROP) {
            conns.forEach(Conn::close);
        }
        if (before == Mode.BLACKHOLE && mode != Mode.BLACKHOLE) {
            // a stream that lost bytes cannot go on: the connection "timed out" during the partition
            conns.stream().filter(c -> c.lostBytes).forEach(Conn::close);
        }
    }

    /** Both directions. */
    public void set(Mode mode) {
        set(Direction.FORWARD, mode);
        set(Direction.BACKWARD, mode);
    }

    /** Added one-way latency of every chunk, both directions (0 = none). */
    public void delay(Duration delay) {
        delayNanos = delay.toNanos();
    }

    /** Everything passes again without delay. */
    public void heal() {
        delay(Duration.ZERO);
        set(Mode.PASS);
    }

    public Mode mode(Direction direction) {
        return direction == Direction.FORWARD ? forward : backward;
    }

    public long forwardedBytes() {
        return forwardedBytes.get();
    }

    public long discardedBytes() {
        return discardedBytes.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (forward == Mode.DROP || backward == Mode.DROP) {
                closeQuietly(client);
                continue;
            }
            Conn c = new Conn(client);
            conns.add(c);
            Thread t = new Thread(c::open, "link-proxy-open-" + name);
            t.setDaemon(true);
            t.start();
        }
    }

    /** One proxied connection. */
    private final class Conn {
        private final Socket client;
        private volatile Socket upstream;
        private volatile boolean lostBytes;
        private volatile boolean done;

        Conn(Socket client) {
            this.client = client;
        }

        void open() {
            // a connection accepted while the link is a blackhole reaches nothing: it only discards
            if (forward == Mode.BLACKHOLE) {
                lostBytes = true;
                drainUntilClosed();
                return;
            }
            try {
                Socket up = new Socket();
                up.setTcpNoDelay(true);
                up.connect(target, 5_000);
                client.setTcpNoDelay(true);
                upstream = up;
                if (done) {
                    closeQuietly(up);
                    return;
                }
                pump(client, up, Direction.FORWARD);
                pump(up, client, Direction.BACKWARD);
            } catch (IOException e) {
                close();
            }
        }

        private void drainUntilClosed() {
            byte[] buf = new byte[CHUNK];
            try (InputStream in = client.getInputStream()) {
                int n;
                while (!done && (n = in.read(buf)) >= 0) {
                    discardedBytes.addAndGet(n);
                }
            } catch (IOException e) {
                // closed
            } finally {
                close();
            }
        }

        private void pump(Socket from, Socket to, Direction direction) throws IOException {
            BlockingQueue<Chunk> chunks = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            Thread reader = new Thread(() -> {
                byte[] buf = new byte[CHUNK];
                try {
                    int n;
                    while (!done && (n = in.read(buf)) >= 0) {
                        Mode m = mode(direction);
                        if (m != Mode.PASS) {
                            lostBytes = true;
                            discardedBytes.addAndGet(n);
                            continue;
                        }
                        chunks.put(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buf, n)));
                    }
                } catch (IOException | InterruptedException e) {
                    // closed
                } finally {
                    close();
                }
            }, "link-proxy-" + name + "-" + direction + "-read");
            Thread writer = new Thread(() -> {
                try {
                    while (!done) {
                        Chunk chunk = chunks.poll(200, TimeUnit.MILLISECONDS);
                        if (chunk == null) {
                            continue;
                        }
                        long wait;
                        while ((wait = chunk.due() - System.nanoTime()) > 0 && !done) {
                            LockSupport.parkNanos(wait); // the added delay, in order
                        }
                        out.write(chunk.bytes());
                        out.flush();
                        forwardedBytes.addAndGet(chunk.bytes().length);
                    }
                } catch (IOException | InterruptedException e) {
                    // closed
                } finally {
                    close();
                }
            }, "link-proxy-" + name + "-" + direction + "-write");
            reader.setDaemon(true);
            writer.setDaemon(true);
            reader.start();
            writer.start();
        }

        void close() {
            done = true;
            conns.remove(this);
            try {
                client.setSoLinger(true, 0); // a reset, like a host that forgot the connection
            } catch (SocketException e) {
                // already closed
            }
            closeQuietly(client);
            Socket up = upstream;
            if (up != null) {
                closeQuietly(up);
            }
        }
    }

    /** Bytes read, and when they may be written. */
    private record Chunk(long due, byte[] bytes) {
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // nothing to do
        }
        conns.forEach(Conn::close);
    }

    @Override
    public String toString() {
        return name + " " + address() + " -> " + target + " (" + forward + "/" + backward + ")";
    }
}
