package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.muster.api.v1.Consistency;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each member exposes Prometheus metrics and the standard gRPC health service. */
class MetricsEndpointTest {

    @TempDir
    Path dir;

    @Test
    void membersExposeRaftCatalogAndCallMetricsAndGrpcHealth() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, c -> c.withMetricsPort(0))) {
            String follower = cluster.aFollower().id();
            Api.register(cluster.channel(follower), Api.instance("metered", "m1", 1000));
            Api.discover(cluster.channel(follower), "metered", Consistency.LINEARIZABLE);
            HttpClient http = HttpClient.newHttpClient();
            for (RegistryNode n : cluster.nodes()) {
                String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.metricsPort() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(text).contains("muster_raft_term{node=\"" + n.id() + "\"}", "muster_raft_applied_index",
                        "muster_raft_leader", "muster_catalog_instances", "muster_watch_watchers", "muster_lease_count",
                        "muster_health_owned_instances");
                assertThat(text).containsPattern("muster_raft_leader\\{node=\"" + n.id() + "\"} " + (n.isLeader() ? "1" : "0"));
                HealthCheckResponse h = HealthGrpc.newBlockingStub(cluster.channel(n.id())).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.newBuilder().setService("muster.v1.Registry").build());
                assertThat(h.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            }
            String followerMetrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + cluster.node(follower).metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(followerMetrics).contains("method=\"muster.v1.Registry/Register\"", "code=\"OK\"");
        }
    }
}
