package io.muster.client;

import io.muster.api.HostPorts;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DeregisterRequest;
import io.muster.api.v1.DeregisterResponse;
import io.muster.api.v1.Instance;
import io.muster.api.v1.LeaderRequest;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.Member;
import io.muster.api.v1.MembersRequest;
import io.muster.api.v1.MembersResponse;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.ServiceSummary;
import io.muster.api.v1.SetMaintenanceRequest;
import io.muster.api.v1.SetMaintenanceResponse;
import io.muster.api.v1.RestoreChunk;
import io.muster.api.v1.RestoreResponse;
import com.google.protobuf.ByteString;
import io.muster.api.v1.SnapshotChunk;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * The Java client of a Muster registry cluster. Thread-safe; share one per process.
 *
 * <pre>{@code
 * try (RegistryClient client = RegistryClient.builder("10.0.0.1:9001", "10.0.0.2:9001", "10.0.0.3:9001").build();
 *      Registration reg = client.register(Instance.newBuilder()
 *              .setService("orders").setHost("10.0.0.7").setPort(8080).build())) {
 *     List<Instance> payments = client.discover("payments", DiscoverFilter.healthy());
 *     client.discoverAsync("payments", DiscoverFilter.healthy()).thenAccept(pool::update);
 * } // close() deregisters
 * }</pre>
 *
 * <p>Every call has a per-attempt deadline and is retried on another member when one is down or
 * there is no leader yet ({@link RetryPolicy}); the backoff between attempts is scheduled, never
 * waited for on a thread. The {@code ...Async} methods are the core; the blocking ones wait for them.
 * Registrations keep their lease alive in the background and re-register if the lease was lost;
 * watches resume from their last revision on any member.
 *
 * <p>Threading: the client runs its timers on one scheduler thread (or the one passed to
 * {@link Builder#scheduler}) that never blocks. Listeners of watches, registrations and views run on
 * the callback executor ({@link Builder#callbackExecutor}), serialized per watch, registration or
 * view, and never while the client holds a lock; a slow listener delays only its own object.
 */
public final class RegistryClient implements AutoCloseable {

    private final Endpoints endpoints;
    private final RetryPolicy retry;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final Executor callbackExecutor;
    private final ExecutorService ownedCallbackPool;
    private final Ticker ticker;
    private final RandomGenerator random;
    private final Path snapshotDir;
    private final Retrier retrier;
    /**
     * Names each write across its retries ({@code request_id}): the cluster applies a write at most
     * once, so a retry after a lost answer cannot undo a newer write of the same instance by another
     * client. The prefix comes from a {@link java.security.SecureRandom} (through {@link UUID}), not
     * from the injected generator: it must differ between clients, also between clients built with
     * the same seeded generator in tests.
     */
    private final String requestIdPrefix = UUID.randomUUID().toString().replace("-", "") + "-";
    private final AtomicLong requestIds = new AtomicLong();
    private final TlsChannels tls;
    private final String namespace;

    private RegistryClient(Builder b) {
        this.retry = b.retry;
        this.namespace = b.namespace;
        this.ownsScheduler = b.scheduler == null;
        this.scheduler = ownsScheduler
                ? Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("muster-client", true))
                : b.scheduler;
        BearerToken token = b.token == null ? null : new BearerToken(b.token);
        if (b.tls != null) {
            try {
                this.tls = new TlsChannels(b.tls, scheduler);
            } catch (RuntimeException e) {
                if (ownsScheduler) {
                    scheduler.shutdownNow();
                }
                throw e;
            }
            this.endpoints = new Endpoints(b.targets, tls::channel, token);
        } else {
            this.tls = null;
            this.endpoints = new Endpoints(b.targets, b.channels, token);
        }
        if (b.callbackExecutor == null) {
            // a cached pool: one blocked listener holds one thread, the other watches get theirs
            this.ownedCallbackPool = Executors.newCachedThreadPool(new DefaultThreadFactory("muster-client-callback", true));
            this.callbackExecutor = ownedCallbackPool;
        } else {
            this.ownedCallbackPool = null;
            this.callbackExecutor = b.callbackExecutor;
        }
        this.ticker = b.ticker;
        this.random = b.random;
        this.snapshotDir = b.snapshotDir;
        this.retrier = new Retrier(endpoints, retry, scheduler, ticker, random);
    }

    /**
     * @param targets {@code host:port} gRPC addresses of the members (any subset of them works); an
     *                element may also be a comma-separated list
     */
    public static Builder builder(String... targets) {
        return new Builder(Arrays.asList(targets));
    }

    public static Builder builder(List<String> targets) {
        return new Builder(targets);
    }

    /** Builder of {@link RegistryClient}. */
    public static final class Builder {
        private final List<String> targets;
        private RetryPolicy retry = RetryPolicy.defaults();
        private Function<String, ManagedChannelBuilder<?>> channels = Endpoints::defaultChannel;
        private ScheduledExecutorService scheduler;
        private Executor callbackExecutor;
        private Ticker ticker = Ticker.system();
        private RandomGenerator random = RandomGenerator.getDefault();
        private Path snapshotDir;
        private String token;
        private Path tlsCa;
        private Path tlsCert;
        private Path tlsKey;
        private boolean tlsOn;
        private Duration tlsReloadPeriod = io.muster.api.tls.ReloadingCredentials.DEFAULT_PERIOD;
        private TlsChannels.Files tls;
        private String namespace = Namespaces.DEFAULT;

        private Builder(List<String> targets) {
            Objects.requireNonNull(targets, "targets");
            List<String> cleaned = targets.stream().flatMap(t -> Arrays.stream(t.split(",")))
                    .map(String::trim).filter(s -> !s.isEmpty()).toList();
            if (cleaned.isEmpty()) {
                throw new IllegalArgumentException("targets: empty (expected: at least one host:port)");
            }
            for (String t : cleaned) {
                HostPorts.parse("target", t);
            }
            this.targets = List.copyOf(cleaned);
        }

        public Builder retryPolicy(RetryPolicy policy) {
            this.retry = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** Deadline of one attempt (default 5 s). */
        public Builder deadline(Duration attemptTimeout) {
            this.retry = new RetryPolicy(attemptTimeout, retry.totalTimeout().compareTo(attemptTimeout) < 0 ? attemptTimeout : retry.totalTimeout(),
                    retry.initialBackoff(), retry.maxBackoff());
            return this;
        }

        /**
         * Connect over TLS, trusting the CA in {@code caPem} (PEM; {@code muster cert create-ca}
         * writes {@code ca.pem}); {@code null} trusts the JDK's default CAs. The members' host names
         * or IPs must be in their certificates. The file is re-read when it changes.
         * <pre>{@code
         * RegistryClient.builder("10.0.0.1:9001").tls(Path.of("run/tls/ca.pem")).build();
         * }</pre>
         */
        public Builder tls(Path caPem) {
            this.tlsOn = true;
            this.tlsCa = caPem;
            return this;
        }

        /**
         * The client certificate (PEM) and its PKCS#8 private key (PEM) presented to members that ask
         * for one ({@code --tls-client-auth}); turns TLS on. Re-read when the files change, so a
         * long-lived client rotates its certificate without a restart (on its next connection).
         */
        public Builder clientCertificate(Path certPem, Path keyPem) {
            this.tlsOn = true;
            this.tlsCert = Objects.requireNonNull(certPem, "certPem");
            this.tlsKey = Objects.requireNonNull(keyPem, "keyPem");
            return this;
        }

        /** How often the TLS files are compared with those in use (default 5 s). */
        public Builder tlsReloadPeriod(Duration period) {
            Objects.requireNonNull(period, "period");
            if (period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("tlsReloadPeriod: " + period + " (expected: > 0)");
            }
            this.tlsReloadPeriod = period;
            return this;
        }

        /**
         * How to build the channel to one member (default: plain-text Netty with keep-alive, or TLS
         * with {@link #tls}). For an in-process channel in tests; ignored when TLS is on.
         */
        public Builder channelBuilder(Function<String, ManagedChannelBuilder<?>> factory) {
            this.channels = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * Runs the client's timers (backoffs, keep-alives, reconnects); the tasks never block. The
         * caller owns it: {@link RegistryClient#close()} does not shut it down. Default: one daemon
         * thread owned by the client.
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * Where listeners run; each watch, registration and view serializes its own callbacks over
         * it. Default: a cached pool of daemon threads owned by the client.
         */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** The time source of retry budgets and lease timing (default: {@link System#nanoTime()}). */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** The randomness of backoff jitter (default: {@link RandomGenerator#getDefault()}). */
        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * Where {@link ServiceView}s keep a copy of the last known instances (the failsafe snapshot):
         * a view that cannot reach the registry when it starts serves that copy, marked stale, until
         * the first live answer. Default: none.
         */
        public Builder snapshotDir(Path dir) {
            this.snapshotDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * The ACL token sent with every call ({@code authorization: Bearer <token>}), as
         * {@code muster acl token create} printed it; needed when the members run with ACLs on
         * (docs/security.md). Default: none.
         */
        public Builder token(String token) {
            this.token = BearerToken.check(token);
            return this;
        }

        /** The ACL token from the first line of {@code file}, read now (e.g. the bootstrap token file). */
        public Builder tokenFile(Path file) {
            this.token = BearerToken.read(Objects.requireNonNull(file, "file"));
            return this;
        }

        /**
         * The namespace this client works in ({@code default} unless set): instances it registers
         * without a namespace of their own, and the calls that name a service without a namespace
         * ({@link #discover}, {@link #watch}, {@link #serviceView}, {@link #listServices()},
         * deregistration and maintenance). The methods that take a namespace use theirs.
         *
         * <pre>{@code
         * RegistryClient shop = RegistryClient.builder("10.0.0.1:9001").namespace("shop").build();
         * }</pre>
         *
         * @param namespace 1-63 chars of [a-z0-9-], starting and ending with [a-z0-9] (a DNS label)
         */
        public Builder namespace(String namespace) {
            this.namespace = Namespaces.check("namespace", namespace);
            return this;
        }

        public RegistryClient build() {
            tls = tlsOn ? new TlsChannels.Files(tlsCa, tlsCert, tlsKey, tlsReloadPeriod) : null;
            return new RegistryClient(this);
        }
    }

    /** The namespace this client works in ({@link Builder#namespace}). */
    public String namespace() {
        return namespace;
    }

    /** {@code instance} with this client's namespace if it names none. */
    private Instance inNamespace(Instance instance) {
        return instance.getNamespace().isEmpty() ? instance.toBuilder().setNamespace(namespace).build() : instance;
    }

    RetryPolicy retryPolicy() {
        return retry;
    }

    Endpoints endpoints() {
        return endpoints;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    Retrier retrier() {
        return retrier;
    }

    Executor callbackExecutor() {
        return callbackExecutor;
    }

    Ticker ticker() {
        return ticker;
    }

    RandomGenerator random() {
        return random;
    }

    Path snapshotDir() {
        return snapshotDir;
    }

    RegistryGrpc.RegistryFutureStub registryStub(ManagedChannel ch) {
        return RegistryGrpc.newFutureStub(ch).withDeadlineAfter(retry.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private ClusterGrpc.ClusterFutureStub clusterStub(ManagedChannel ch) {
        return ClusterGrpc.newFutureStub(ch).withDeadlineAfter(retry.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private ClusterGrpc.ClusterFutureStub slowClusterStub(ManagedChannel ch) {
        return ClusterGrpc.newFutureStub(ch).withDeadlineAfter(retry.totalTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private String nextRequestId() {
        return requestIdPrefix + requestIds.incrementAndGet();
    }

    /**
     * Registers (or updates) an instance once, without keeping its lease alive. Retries (after a
     * lost answer, on another member) carry the same request id, so the cluster applies it once.
     */
    public CompletableFuture<RegisterResponse> registerOnceAsync(Instance instance) {
        RegisterRequest req = RegisterRequest.newBuilder().setInstance(inNamespace(instance)).setRequestId(nextRequestId()).build();
        return retrier.write(ch -> Retrier.unary(registryStub(ch).register(req)));
    }

    /**
     * Registers an instance; the handle keeps its lease alive until it is closed, which deregisters
     * it. If the lease is lost (e.g. a long partition) the handle registers again.
     */
    public CompletableFuture<Registration> registerAsync(Instance instance, Registration.Listener listener) {
        Objects.requireNonNull(listener, "listener");
        Instance in = inNamespace(instance);
        return registerOnceAsync(in).thenApply(first ->
                new Registration(this, in.toBuilder().setId(first.getInstanceId()).build(), first, listener));
    }

    public CompletableFuture<Registration> registerAsync(Instance instance) {
        return registerAsync(instance, Registration.Listener.NONE);
    }

    /** Removes an instance of this client's namespace. */
    public CompletableFuture<DeregisterResponse> deregisterAsync(String service, String instanceId) {
        return deregisterAsync(namespace, service, instanceId);
    }

    /** Removes an instance of {@code namespace}. */
    public CompletableFuture<DeregisterResponse> deregisterAsync(String namespace, String service, String instanceId) {
        DeregisterRequest req = DeregisterRequest.newBuilder().setNamespace(namespace).setService(service).setInstanceId(instanceId)
                .setRequestId(nextRequestId()).build();
        return retrier.write(ch -> Retrier.unary(registryStub(ch).deregister(req)));
    }

    /**
     * Takes an instance out of service ({@code enabled}) or puts it back. While in maintenance the
     * instance is not routable whatever its health (healthy discovery, {@link ServiceView#routable()},
     * the {@code muster:///} resolver and the gateway leave it out); its lease and checks keep running.
     * Fails with {@code NOT_FOUND} for an unknown instance. Retries carry the same request id, so the
     * cluster applies the change once: a retry after a lost answer never undoes a later change by
     * another caller.
     *
     * <pre>{@code
     * client.setMaintenance("orders", "10.0.0.7:8080", true, "kernel upgrade");
     * // ... later
     * client.setMaintenance("orders", "10.0.0.7:8080", false, null);
     * }</pre>
     *
     * @param reason why (up to 1024 chars), shown as the instance's {@code maintenance_reason}; ignored when turning it off
     */
    public CompletableFuture<SetMaintenanceResponse> setMaintenanceAsync(String service, String instanceId, boolean enabled, String reason) {
        return setMaintenanceAsync(namespace, service, instanceId, enabled, reason);
    }

    /** {@link #setMaintenanceAsync(String, String, boolean, String)} of an instance of {@code namespace}. */
    public CompletableFuture<SetMaintenanceResponse> setMaintenanceAsync(String namespace, String service, String instanceId, boolean enabled,
                                                                         String reason) {
        SetMaintenanceRequest req = SetMaintenanceRequest.newBuilder().setNamespace(namespace).setService(service).setInstanceId(instanceId)
                .setEnabled(enabled).setReason(enabled && reason != null ? reason : "").setRequestId(nextRequestId()).build();
        return retrier.write(ch -> Retrier.unary(registryStub(ch).setMaintenance(req)));
    }

    /** Blocking {@link #setMaintenanceAsync}. */
    public SetMaintenanceResponse setMaintenance(String service, String instanceId, boolean enabled, String reason) {
        return Retrier.join(setMaintenanceAsync(service, instanceId, enabled, reason));
    }

    /** Instances of {@code service} (in this client's namespace) matching {@code filter}. */
    public CompletableFuture<List<Instance>> discoverAsync(String service, DiscoverFilter filter) {
        return discoverAsync(namespace, service, filter);
    }

    /**
     * Instances of {@code service} in {@code namespace} matching {@code filter}.
     *
     * <pre>{@code
     * client.discoverAsync("shop", "orders", DiscoverFilter.healthy()).thenAccept(pool::update);
     * }</pre>
     */
    public CompletableFuture<List<Instance>> discoverAsync(String namespace, String service, DiscoverFilter filter) {
        var req = filter.toRequest(service).toBuilder().setNamespace(namespace).build();
        return retrier.call(ch -> Retrier.unary(registryStub(ch).discover(req))).thenApply(r -> r.getInstancesList());
    }

    public RegisterResponse registerOnce(Instance instance) {
        return Retrier.join(registerOnceAsync(instance));
    }

    /**
     * Registers an instance and keeps its lease alive until the returned handle is closed, which
     * deregisters it. If the lease is lost (e.g. a long partition) the handle registers again.
     */
    public Registration register(Instance instance) {
        return register(instance, Registration.Listener.NONE);
    }

    public Registration register(Instance instance, Registration.Listener listener) {
        return Retrier.join(registerAsync(instance, listener));
    }

    public DeregisterResponse deregister(String service, String instanceId) {
        return Retrier.join(deregisterAsync(service, instanceId));
    }

    /** Instances of {@code service} (in this client's namespace) matching {@code filter}. */
    public List<Instance> discover(String service, DiscoverFilter filter) {
        return Retrier.join(discoverAsync(service, filter));
    }

    /** Instances of {@code service} in {@code namespace} matching {@code filter}. */
    public List<Instance> discover(String namespace, String service, DiscoverFilter filter) {
        return Retrier.join(discoverAsync(namespace, service, filter));
    }

    /** The services of this client's namespace. */
    public List<ServiceSummary> listServices() {
        return listServices(namespace);
    }

    /** The services of {@code namespace}, or of every namespace ({@link Namespaces#ALL}); each summary names its namespace. */
    public List<ServiceSummary> listServices(String namespace) {
        var req = ListServicesRequest.newBuilder().setConsistency(Consistency.LINEARIZABLE).setNamespace(namespace).build();
        return Retrier.join(retrier.call(ch -> Retrier.unary(registryStub(ch).listServices(req)))).getServicesList();
    }

    public MembersResponse members() {
        return members(false);
    }

    /**
     * The members as the leader sees them; with {@code withStatus}, also each member's own status
     * (term, applied index, ...) in {@code statuses}, which the member answering asks every member
     * for (each within 1 s; one that does not answer is {@code alive = false} and has none).
     * {@code client.members(true).getStatusesMap().get("n2").getAppliedIndex()}
     */
    public MembersResponse members(boolean withStatus) {
        MembersRequest req = MembersRequest.newBuilder().setWithStatus(withStatus).build();
        return Retrier.join(retrier.call(ch -> Retrier.unary(clusterStub(ch).members(req))));
    }

    public Member leader() {
        return Retrier.join(retrier.call(ch -> Retrier.unary(clusterStub(ch).leader(LeaderRequest.getDefaultInstance())))).getLeader();
    }

    public io.muster.api.v1.AddMemberResponse addMember(Member member) {
        var req = io.muster.api.v1.AddMemberRequest.newBuilder().setMember(member).build();
        return Retrier.join(retrier.call(ch -> Retrier.unary(slowClusterStub(ch).addMember(req))));
    }

    public io.muster.api.v1.RemoveMemberResponse removeMember(String id) {
        var req = io.muster.api.v1.RemoveMemberRequest.newBuilder().setId(id).build();
        return Retrier.join(retrier.call(ch -> Retrier.unary(slowClusterStub(ch).removeMember(req))));
    }

    /** Asks the leader to hand over leadership to {@code targetId} (empty: the best follower). */
    public void transferLeadership(String targetId) {
        var req = io.muster.api.v1.TransferLeadershipRequest.newBuilder().setTargetId(targetId == null ? "" : targetId).build();
        Retrier.join(retrier.call(ch -> Retrier.unary(clusterStub(ch).transferLeadership(req))));
    }

    /**
     * Writes a consistent backup of the catalog to {@code out} and returns its revision. Restore it
     * with {@code muster-server --restore FILE} on the first start of a new cluster, or with
     * {@link #restoreSnapshot} into a running cluster that is still empty.
     */
    public long saveSnapshot(java.io.OutputStream out) throws java.io.IOException {
        record Backup(long revision, ByteArrayOutputStream data) {
        }
        Backup backup = Retrier.join(retrier.call(ch -> {
            CompletableFuture<Backup> done = new CompletableFuture<>();
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            ClusterGrpc.newStub(ch).withDeadlineAfter(retry.totalTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .snapshot(io.muster.api.v1.SnapshotRequest.getDefaultInstance(), new StreamObserver<SnapshotChunk>() {
                        private long revision;

                        @Override
                        public void onNext(SnapshotChunk chunk) {
                            buffer.writeBytes(chunk.getData().toByteArray());
                            revision = chunk.getRevision();
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            done.complete(new Backup(revision, buffer));
                        }
                    });
            return done;
        }));
        backup.data().writeTo(out);
        return backup.revision();
    }

    /** The size of the slices {@link #restoreSnapshot} sends: below any member's {@code max-message-bytes} (64 KiB at least). */
    static final int RESTORE_CHUNK_BYTES = 60 * 1024;

    /**
     * Loads a backup ({@link #saveSnapshot}) into a running cluster whose catalog is empty
     * ({@code Cluster.Restore}): the leader proposes it through Raft, every member applies it.
     * Fails with {@code FAILED_PRECONDITION} if the cluster holds anything (revision above 0),
     * {@code INVALID_ARGUMENT} if {@code backup} is not a valid backup. Only the leader takes it: the
     * other targets answer {@code UNAVAILABLE} and the next target is tried, so the leader must be one
     * of the client's targets. A retry after a lost answer finds the catalog restored and reports
     * {@code FAILED_PRECONDITION}.
     */
    public RestoreResponse restoreSnapshot(byte[] backup) {
        return Retrier.join(retrier.call(ch -> {
            CompletableFuture<RestoreResponse> done = new CompletableFuture<>();
            StreamObserver<RestoreChunk> upload = ClusterGrpc.newStub(ch)
                    .withDeadlineAfter(retry.totalTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .restore(new StreamObserver<>() {
                        @Override
                        public void onNext(RestoreResponse r) {
                            done.complete(r);
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            if (!done.isDone()) {
                                done.completeExceptionally(io.grpc.Status.INTERNAL.withDescription("restore ended without an answer").asRuntimeException());
                            }
                        }
                    });
            // gRPC buffers what the transport cannot take yet; a backup is bounded by the server's 256 MiB
            for (int from = 0; from < backup.length || from == 0; from += RESTORE_CHUNK_BYTES) {
                int to = Math.min(backup.length, from + RESTORE_CHUNK_BYTES);
                upload.onNext(RestoreChunk.newBuilder().setData(ByteString.copyFrom(backup, from, to - from)).build());
                if (to == backup.length) {
                    break;
                }
            }
            upload.onCompleted();
            return done;
        }));
    }

    /** ACL management: tokens, policies, bootstrap (the operator rule; see docs/security.md). */
    public AclAdmin acl() {
        return new AclAdmin(retrier, retry);
    }

    /**
     * Watches {@code services} (empty: all). Starts with a snapshot when {@code startRevision} is 0,
     * else with the events from {@code startRevision}. Resumes after any failure from the last seen
     * revision, on any member; after a COMPACTED answer it delivers a fresh snapshot.
     */
    public Watch watch(Set<String> services, long startRevision, WatchListener listener) {
        return watch(namespace, services, startRevision, listener);
    }

    /**
     * As {@link #watch(Set, long, WatchListener)}, in {@code namespace}; {@link Namespaces#ALL}
     * watches every service of every namespace ({@code services} empty). Each instance delivered
     * carries its namespace.
     */
    public Watch watch(String namespace, Set<String> services, long startRevision, WatchListener listener) {
        return new Watch(this, namespace, services, startRevision, listener);
    }

    /** A live, watch-maintained view of one service's instances in this client's namespace (see {@link ServiceView}). */
    public ServiceView serviceView(String service) {
        return serviceView(namespace, service);
    }

    /** A live, watch-maintained view of {@code service} in {@code namespace}. */
    public ServiceView serviceView(String namespace, String service) {
        return new ServiceView(this, namespace, service, snapshotDir);
    }

    public List<String> targets() {
        return endpoints.targets();
    }

    /**
     * Stops the client's timers and shuts its channels down; completes when they have terminated.
     * Close registrations first if they should deregister.
     */
    public CompletableFuture<Void> closeAsync() {
        endpoints.shutdown();
        if (tls != null) {
            tls.close();
        }
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
        if (ownedCallbackPool != null) {
            ownedCallbackPool.shutdown();
        }
        // channel termination is a blocking wait: do it off the caller's and the client's threads
        return CompletableFuture.runAsync(endpoints::close, runnable -> {
            Thread t = new Thread(runnable, "muster-client-close");
            t.setDaemon(true);
            t.start();
        });
    }

    @Override
    public void close() {
        Retrier.join(closeAsync());
    }
}
