package io.muster.robustness;

import io.grpc.Status;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterResponse;
import io.muster.client.DiscoverFilter;
import io.muster.client.Registration;
import io.muster.client.RegistryClient;
import io.muster.client.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The clients of a run, through the real {@link RegistryClient} (its retries and failover
 * included): writer threads that register, re-register (a fresh port each time, per instance), deregister and
 * discover (LINEARIZABLE and LOCAL) and record every operation in the {@link History}; lease
 * handles ({@link Registration}, 3 s TTL, kept alive by the client) whose losses are counted.
 *
 * <p>Each writer works on services of the current 15 s window ({@code lin-<window>-<n>}, a few
 * instance ids each), so each service's history stays small enough to check exactly.
 */
final class Traffic implements AutoCloseable {

    static final Duration WINDOW = Duration.ofSeconds(15);
    static final int SERVICES_PER_WINDOW = 6;
    static final int IDS_PER_SERVICE = 3;
    static final String LEASED = "leased";
    static final long LEASE_TTL_MS = 3_000;

    private final List<String> targets;
    private final History history;
    private final long seed;
    private final long startNanos = System.nanoTime();
    // a fresh port per register of an instance names that write: unique per instance, not across
    // the run (a long run makes more registers than there are ports)
    private final ConcurrentHashMap<String, AtomicInteger> ports = new ConcurrentHashMap<>();
    private final List<RegistryClient> clients = new ArrayList<>();
    private final List<Thread> writers = new ArrayList<>();
    private final List<Registration> handles = new ArrayList<>();
    private final AtomicInteger leasesLost = new AtomicInteger();
    private volatile boolean stopping;

    Traffic(List<String> targets, History history, long seed) {
        this.targets = List.copyOf(targets);
        this.history = history;
        this.seed = seed;
    }

    /** A client whose member order is shuffled by {@code salt}: the clients enter the cluster at different members. */
    RegistryClient newClient(int salt) {
        List<String> order = new ArrayList<>(targets);
        Collections.shuffle(order, new Random(seed + salt));
        RegistryClient c = RegistryClient.builder(order)
                .retryPolicy(new RetryPolicy(Duration.ofSeconds(2), Duration.ofSeconds(8), Duration.ofMillis(50), Duration.ofMillis(500)))
                .build();
        synchronized (clients) {
            clients.add(c);
        }
        return c;
    }

    void startWriters(int count) {
        for (int w = 0; w < count; w++) {
            int client = w;
            RegistryClient c = newClient(client);
            Random random = new Random(seed * 31 + client);
            Thread t = new Thread(() -> writeLoop(client, c, random), "robustness-writer-" + client);
            t.setDaemon(true);
            writers.add(t);
            t.start();
        }
    }

    void startLeaseHandles(int count) {
        for (int h = 0; h < count; h++) {
            RegistryClient c = newClient(1_000 + h);
            handles.add(c.register(Instance.newBuilder().setService(LEASED).setId("h" + h).setHost("127.0.0.1")
                    .setPort(9000 + h).setLeaseTtlMs(LEASE_TTL_MS).build(), new Registration.Listener() {
                        @Override
                        public void onLeaseLost(long leaseId) {
                            leasesLost.incrementAndGet();
                        }

                        @Override
                        public void onRegistered(RegisterResponse response) {
                        }
                    }));
        }
    }

    private int nextPort(String service, String id) {
        int port = ports.computeIfAbsent(service + "/" + id, k -> new AtomicInteger(1_024)).incrementAndGet();
        if (port > 65_535) {
            throw new IllegalStateException("more than 64,511 registers of " + service + "/" + id + ": no port left to name the next one");
        }
        return port;
    }

    private void writeLoop(int client, RegistryClient c, Random random) {
        while (!stopping) {
            long window = (System.nanoTime() - startNanos) / WINDOW.toNanos();
            String service = "lin-" + window + "-" + random.nextInt(SERVICES_PER_WINDOW);
            String id = "i" + random.nextInt(IDS_PER_SERVICE);
            int dice = random.nextInt(100);
            long invoked = System.nanoTime();
            if (dice < 35) {
                int port = nextPort(service, id);
                Op.Outcome outcome = outcome(() -> c.registerOnceAsync(Instance.newBuilder().setService(service).setId(id)
                        .setHost("127.0.0.1").setPort(port).setLeaseTtlMs(3_600_000).build()).join());
                history.add(Op.register(client, service, id, port, invoked, System.nanoTime(), outcome));
            } else if (dice < 55) {
                Op.Outcome outcome = outcome(() -> c.deregisterAsync(service, id).join());
                history.add(Op.deregister(client, service, id, invoked, System.nanoTime(), outcome));
            } else {
                boolean local = dice >= 85;
                try {
                    var found = c.discoverAsync(service, local ? DiscoverFilter.all().localRead() : DiscoverFilter.all()).join();
                    long done = System.nanoTime();
                    history.add(new Op(client, local ? Op.Kind.DISCOVER_LOCAL : Op.Kind.DISCOVER, service, "", "", 0, invoked, done,
                            Op.Outcome.OK, MemberCalls.ports(found)));
                } catch (CompletionException e) {
                    history.add(new Op(client, local ? Op.Kind.DISCOVER_LOCAL : Op.Kind.DISCOVER, service, "", "", 0, invoked,
                            System.nanoTime(), Op.Outcome.FAILED, java.util.Map.of()));
                }
            }
        }
    }

    /** OK, or UNKNOWN for any failure: a write that failed may still have been committed. */
    private static Op.Outcome outcome(Runnable call) {
        try {
            call.run();
            return Op.Outcome.OK;
        } catch (CompletionException e) {
            Status s = Status.fromThrowable(e.getCause());
            if (s.getCode() == Status.Code.INVALID_ARGUMENT) {
                throw new AssertionError("the suite's own request was refused: " + s, e);
            }
            return Op.Outcome.UNKNOWN;
        }
    }

    int leasesLost() {
        return leasesLost.get();
    }

    List<Registration> handles() {
        return List.copyOf(handles);
    }

    /** Stops the writers (each finishes its operation in flight, bounded by the client's retry budget). */
    void stopWriters() throws InterruptedException {
        stopping = true;
        for (Thread t : writers) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
    }

    @Override
    public void close() {
        stopping = true;
        handles.forEach(Registration::close);
        synchronized (clients) {
            clients.forEach(RegistryClient::close);
        }
    }
}
