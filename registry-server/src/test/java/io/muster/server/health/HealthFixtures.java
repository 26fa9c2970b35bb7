package io.muster.server.health;

import io.grpc.Channel;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import java.time.Duration;
import java.util.Optional;

/** Instances with checks, and reads of their health on each node. */
final class HealthFixtures {

    /** Long enough that no test needs to keep leases alive. */
    static final long LEASE_MS = 3_600_000;

    private HealthFixtures() {
    }

    static Instance instance(String service, String id, int port, HealthCheck.Builder... checks) {
        Instance.Builder b = Api.instance(service, id, port).toBuilder().setLeaseTtlMs(LEASE_MS);
        for (HealthCheck.Builder c : checks) {
            b.addChecks(c);
        }
        return b.build();
    }

    static HealthCheck.Builder every(int intervalMs, int timeoutMs, int rise, int fall) {
        return HealthCheck.newBuilder().setIntervalMs(intervalMs).setTimeoutMs(timeoutMs).setRise(rise).setFall(fall);
    }

    static Optional<Instance> local(Channel ch, String service, String id) {
        return Api.discover(ch, service, Consistency.LOCAL).getInstancesList().stream()
                .filter(i -> i.getId().equals(id)).findFirst();
    }

    static HealthStatus healthOn(Channel ch, String service, String id) {
        return local(ch, service, id).map(Instance::getHealth).orElse(HealthStatus.HEALTH_STATUS_UNSPECIFIED);
    }

    /** True when every running node's applied state (LOCAL read) has the instance at {@code expected}. */
    static boolean everyNodeSees(LocalCluster cluster, String service, String id, HealthStatus expected) {
        return cluster.nodes().stream().allMatch(n -> healthOn(cluster.channel(n.id()), service, id) == expected);
    }

    /**
     * Bound for a status change to reach every node: the probes up to the threshold, one more
     * interval for the phase of the schedule, and slack for the commit on a shared CI machine.
     */
    static Duration detectionBound(int intervalMs, int threshold) {
        return Duration.ofMillis((long) (threshold + 1) * intervalMs + 3000);
    }
}
