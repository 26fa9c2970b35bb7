package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.muster.api.v1.Consistency;
import io.muster.server.testing.Api;
import io.muster.server.testing.LocalCluster;
import io.muster.testkit.ClusterTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each member exposes Prometheus metrics and the standard gRPC health service. */
@ClusterTest
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
                        "muster_health_owned_instances", "muster_peer_reachable",
                        // Micrometer's JVM, GC and process binders, on this member's registry
                        "jvm_memory_used_bytes", "jvm_gc_", "jvm_threads_live_threads", "jvm_classes_loaded_classes",
                        "process_cpu_usage", "system_cpu_count", "process_uptime_seconds", "process_files_open_files");
                for (String probe : new String[] {"/healthz", "/readyz"}) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.metricsPort() + probe)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(n.id() + probe + ": " + r.body()).isEqualTo(200);
                }
                assertThat(text).containsPattern("muster_raft_leader\\{node=\"" + n.id() + "\"} " + (n.isLeader() ? "1" : "0"));
                HealthCheckResponse h = HealthGrpc.newBlockingStub(cluster.channel(n.id())).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.newBuilder().setService("muster.v1.Registry").build());
                assertThat(h.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            }
            // server reflection answers (what grpcurl uses)
            java.util.concurrent.CompletableFuture<io.grpc.reflection.v1.ServerReflectionResponse> listed = new java.util.concurrent.CompletableFuture<>();
            var requests = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(cluster.channel(follower)).serverReflectionInfo(
                    new io.grpc.stub.StreamObserver<>() {
                        @Override
                        public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
                            listed.complete(r);
                        }

                        @Override
                        public void onError(Throwable t) {
                            listed.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
            requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
            assertThat(listed.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
                    .extracting(io.grpc.reflection.v1.ServiceResponse::getName)
                    .contains("muster.v1.Registry", "muster.v1.Cluster", "grpc.health.v1.Health");
            requests.onCompleted();
            // a method without a latency histogram before the fix: mixing kinds under one name broke the scrape
            io.muster.api.v1.RegistryGrpc.newBlockingStub(cluster.channel(follower)).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .listServices(io.muster.api.v1.ListServicesRequest.getDefaultInstance());
            HttpResponse<String> scraped = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + cluster.node(follower).metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(scraped.statusCode()).as(scraped.body()).isEqualTo(200);
            assertThat(scraped.body()).contains("method=\"muster.v1.Registry/Register\"", "code=\"OK\"",
                    "method=\"muster.v1.Registry/ListServices\"");
        }
    }
}
