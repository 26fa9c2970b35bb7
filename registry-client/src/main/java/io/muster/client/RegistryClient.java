package io.muster.client;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
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
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The Java client of a Muster registry cluster. Thread-safe; share one per process.
 *
 * <pre>{@code
 * try (RegistryClient client = RegistryClient.builder("10.0.0.1:9001", "10.0.0.2:9001", "10.0.0.3:9001").build();
 *      Registration reg = client.register(Instance.newBuilder()
 *              .setService("orders").setHost("10.0.0.7").setPort(8080).build())) {
 *     List<Instance> payments = client.discover("payments", DiscoverFilter.healthy());
 *     ...
 * } // close() deregisters
 * }</pre>
 *
 * <p>Every call has a deadline and is retried on another member when one is down or there is no
 * leader yet ({@link RetryPolicy}). Registrations keep their lease alive in the background and
 * re-register if the lease was lost; watches resume from their last revision on any member.
 */
public final class RegistryClient implements AutoCloseable {

    private final Endpoints endpoints;
    private final RetryPolicy retry;
    private final ScheduledExecutorService scheduler;

    private RegistryClient(Builder b) {
        this.endpoints = new Endpoints(b.targets);
        this.retry = b.retry;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("muster-client", true));
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

        private Builder(List<String> targets) {
            Objects.requireNonNull(targets, "targets");
            List<String> cleaned = targets.stream().flatMap(t -> Arrays.stream(t.split(",")))
                    .map(String::trim).filter(s -> !s.isEmpty()).toList();
            if (cleaned.isEmpty()) {
                throw new IllegalArgumentException("targets: empty (expected: at least one host:port)");
            }
            for (String t : cleaned) {
                int colon = t.lastIndexOf(':');
                int port;
                try {
                    port = colon <= 0 ? -1 : Integer.parseInt(t.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("target: '" + t + "' (expected: host:port with port 1-65535)");
                }
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

        public RegistryClient build() {
            return new RegistryClient(this);
        }
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

    /**
     * Runs a unary call on the current member, failing over to the next and backing off on
     * retryable errors until the policy's total timeout.
     */
    <T> T call(Function<ManagedChannel, T> attempt) {
        return call(attempt, false);
    }

    /** A write: goes to the leader when a member named it (see {@link Endpoints}), else like any call. */
    <T> T write(Function<ManagedChannel, T> attempt) {
        return call(attempt, true);
    }

    private <T> T call(Function<ManagedChannel, T> attempt, boolean write) {
        long deadline = System.nanoTime() + retry.totalTimeout().toNanos();
        for (int n = 1; ; n++) {
            int index = write ? endpoints.writerIndex() : endpoints.currentIndex();
            try {
                return attempt.apply(endpoints.channel(index));
            } catch (StatusRuntimeException e) {
                if (write) {
                    endpoints.forgetLeader(index);
                }
                if (!RetryPolicy.retryable(e.getStatus().getCode()) || io.grpc.Context.current().isCancelled()) {
                    throw e;
                }
                endpoints.failover(index);
                long backoff = retry.backoffNanos(n);
                if (System.nanoTime() + backoff + retry.attemptTimeout().toNanos() / 10 >= deadline) {
                    throw e;
                }
                LockSupport.parkNanos(backoff);
            }
        }
    }

    RegistryGrpc.RegistryBlockingStub registryStub(ManagedChannel ch) {
        return RegistryGrpc.newBlockingStub(ch).withDeadlineAfter(retry.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private ClusterGrpc.ClusterBlockingStub clusterStub(ManagedChannel ch) {
        return ClusterGrpc.newBlockingStub(ch).withDeadlineAfter(retry.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Registers (or updates) an instance once, without keeping its lease alive. */
    public RegisterResponse registerOnce(Instance instance) {
        RegisterRequest req = RegisterRequest.newBuilder().setInstance(instance).build();
        return write(ch -> registryStub(ch).register(req));
    }

    /**
     * Registers an instance and keeps its lease alive until the returned handle is closed, which
     * deregisters it. If the lease is lost (e.g. a long partition) the handle registers again.
     */
    public Registration register(Instance instance) {
        return register(instance, Registration.Listener.NONE);
    }

    public Registration register(Instance instance, Registration.Listener listener) {
        RegisterResponse first = registerOnce(instance);
        return new Registration(this, instance.toBuilder().setId(first.getInstanceId()).build(), first, listener);
    }

    public DeregisterResponse deregister(String service, String instanceId) {
        DeregisterRequest req = DeregisterRequest.newBuilder().setService(service).setInstanceId(instanceId).build();
        return write(ch -> registryStub(ch).deregister(req));
    }

    /** Instances of {@code service} matching {@code filter}. */
    public List<Instance> discover(String service, DiscoverFilter filter) {
        return call(ch -> registryStub(ch).discover(filter.toRequest(service))).getInstancesList();
    }

    public List<ServiceSummary> listServices() {
        return call(ch -> registryStub(ch).listServices(ListServicesRequest.newBuilder().setConsistency(Consistency.LINEARIZABLE).build()))
                .getServicesList();
    }

    public MembersResponse members() {
        return call(ch -> clusterStub(ch).members(MembersRequest.getDefaultInstance()));
    }

    public Member leader() {
        return call(ch -> clusterStub(ch).leader(LeaderRequest.getDefaultInstance())).getLeader();
    }

    public io.muster.api.v1.AddMemberResponse addMember(Member member) {
        var req = io.muster.api.v1.AddMemberRequest.newBuilder().setMember(member).build();
        return call(ch -> clusterStub(ch).withDeadlineAfter(retry.totalTimeout().toMillis(), TimeUnit.MILLISECONDS).addMember(req));
    }

    public io.muster.api.v1.RemoveMemberResponse removeMember(String id) {
        var req = io.muster.api.v1.RemoveMemberRequest.newBuilder().setId(id).build();
        return call(ch -> clusterStub(ch).withDeadlineAfter(retry.totalTimeout().toMillis(), TimeUnit.MILLISECONDS).removeMember(req));
    }

    /** Asks the leader to hand over leadership to {@code targetId} (empty: the best follower). */
    public void transferLeadership(String targetId) {
        var req = io.muster.api.v1.TransferLeadershipRequest.newBuilder().setTargetId(targetId == null ? "" : targetId).build();
        call(ch -> clusterStub(ch).transferLeadership(req));
    }

    /**
     * Writes a consistent backup of the catalog to {@code out} and returns its revision. Restore it
     * with {@code muster-server --restore FILE} on the first start of a new cluster.
     */
    public long saveSnapshot(java.io.OutputStream out) throws java.io.IOException {
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        long revision = call(ch -> {
            buffer.reset();
            long rev = 0;
            var it = ClusterGrpc.newBlockingStub(ch).withDeadlineAfter(retry.totalTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .snapshot(io.muster.api.v1.SnapshotRequest.getDefaultInstance());
            while (it.hasNext()) {
                var chunk = it.next();
                buffer.writeBytes(chunk.getData().toByteArray());
                rev = chunk.getRevision();
            }
            return rev;
        });
        buffer.writeTo(out);
        return revision;
    }

    /**
     * Watches {@code services} (empty: all). Starts with a snapshot when {@code startRevision} is 0,
     * else with the events from {@code startRevision}. Resumes after any failure from the last seen
     * revision, on any member; after a COMPACTED answer it delivers a fresh snapshot.
     */
    public Watch watch(Set<String> services, long startRevision, WatchListener listener) {
        return new Watch(this, services, startRevision, listener);
    }

    /** A live, watch-maintained view of one service's instances. */
    public ServiceView serviceView(String service) {
        return new ServiceView(this, service);
    }

    public List<String> targets() {
        return endpoints.targets();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        endpoints.close();
    }
}
