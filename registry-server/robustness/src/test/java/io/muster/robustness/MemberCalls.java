package io.muster.robustness;

import io.grpc.ManagedChannel;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.DiscoverResponse;
import io.muster.api.v1.Instance;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.StatusRequest;
import io.muster.api.v1.StatusResponse;
import io.muster.testkit.ProcessCluster;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** Calls to one member directly (not through the client's failover), each with a deadline. */
final class MemberCalls {

    private MemberCalls() {
    }

    static DiscoverResponse discover(ProcessCluster cluster, String member, String service, Consistency consistency, Duration deadline) {
        return RegistryGrpc.newBlockingStub(cluster.channel(member)).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .discover(DiscoverRequest.newBuilder().setService(service).setConsistency(consistency).build());
    }

    static StatusResponse status(ManagedChannel channel, Duration deadline) {
        return ClusterGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .status(StatusRequest.getDefaultInstance());
    }

    /** id to port, what the suite's model keeps of an instance. */
    static Map<String, Integer> ports(Iterable<Instance> instances) {
        Map<String, Integer> m = new TreeMap<>();
        instances.forEach(i -> m.put(i.getId(), i.getPort()));
        return m;
    }

    /**
     * A member's whole catalog from its applied state (LOCAL reads): service to instance id to
     * {@code port/mod_revision}, and the revision it was read at; equal on members that converged.
     */
    static Map<String, Map<String, String>> localCatalog(ProcessCluster cluster, String member, Duration deadline) {
        var stub = RegistryGrpc.newBlockingStub(cluster.channel(member));
        Map<String, Map<String, String>> catalog = new TreeMap<>();
        var services = stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .listServices(ListServicesRequest.newBuilder().setConsistency(Consistency.LOCAL).build());
        for (var s : services.getServicesList()) {
            DiscoverResponse r = discover(cluster, member, s.getName(), Consistency.LOCAL, deadline);
            Map<String, String> instances = new TreeMap<>();
            r.getInstancesList().forEach(i -> instances.put(i.getId(), i.getPort() + "/" + i.getModRevision()));
            catalog.put(s.getName(), instances);
        }
        return catalog;
    }
}
