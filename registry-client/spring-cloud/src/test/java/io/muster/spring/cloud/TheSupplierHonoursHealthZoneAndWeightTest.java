package io.muster.spring.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.client.ServiceView;
import io.muster.testkit.UnitTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.cloud.client.ServiceInstance;

/**
 * What Spring Cloud LoadBalancer chooses from: routable instances only (HEALTHY, WARNING), the
 * preferred zone's while it has one, each as often as its weight says, interleaved; a new state of
 * the view is seen by the next request, and no first state within the deadline means no instances.
 */
@UnitTest
class TheSupplierHonoursHealthZoneAndWeightTest {

    private static Instance instance(String id, HealthStatus health, String zone, int weight) {
        return Instance.newBuilder().setService("orders").setId(id).setHost("10.0.0." + id.length()).setPort(8080)
                .setHealth(health).setZone(zone).setWeight(weight).build();
    }

    private static List<String> ids(List<ServiceInstance> list) {
        return list.stream().map(ServiceInstance::getInstanceId).toList();
    }

    private static Map<String, Long> counts(List<ServiceInstance> list) {
        return list.stream().collect(Collectors.groupingBy(ServiceInstance::getInstanceId, Collectors.counting()));
    }

    private static List<ServiceInstance> first(MusterServiceInstanceListSupplier s) {
        return s.get().blockFirst(Duration.ofSeconds(5));
    }

    @Test
    void onlyRoutableInstancesAreOffered() {
        List<Instance> all = List.of(
                instance("healthy", HealthStatus.HEALTHY, "", 100),
                instance("warning", HealthStatus.WARNING, "", 100),
                instance("unhealthy", HealthStatus.UNHEALTHY, "", 100),
                instance("pending", HealthStatus.PENDING, "", 100));
        assertThat(InstanceSelection.routable(all, null)).extracting(Instance::getId).containsExactly("healthy", "warning");
    }

    @Test
    void thePreferredZoneIsUsedWhileItHasARoutableInstanceElseAllZones() {
        Instance a1 = instance("a1", HealthStatus.HEALTHY, "a", 100);
        Instance a2 = instance("a2", HealthStatus.UNHEALTHY, "a", 100);
        Instance b1 = instance("b1", HealthStatus.HEALTHY, "b", 100);
        assertThat(InstanceSelection.routable(List.of(a1, a2, b1), "a")).extracting(Instance::getId).containsExactly("a1");
        assertThat(InstanceSelection.routable(List.of(a2, b1), "a")).extracting(Instance::getId).containsExactly("b1");
        assertThat(InstanceSelection.routable(List.of(a1, b1), "")).extracting(Instance::getId).containsExactly("a1", "b1");
    }

    @Test
    void weightsMakeAnInterleavedScheduleInProportion() {
        List<String> schedule = InstanceSelection.weighted(List.of("a", "b", "c"), s -> switch (s) {
            case "a" -> 500;
            case "b" -> 200;
            default -> 100;
        });
        // 5:2:1 after dividing by the common 100, nginx's smooth order
        assertThat(schedule).containsExactly("a", "b", "a", "a", "c", "a", "b", "a");
        assertThat(InstanceSelection.weighted(List.of("x", "y"), s -> 100)).containsExactly("x", "y");
    }

    @Test
    void extremeWeightsAreScaledDownButEveryInstanceKeepsASlot() {
        List<String> schedule = InstanceSelection.weighted(List.of("big", "small"), s -> s.equals("big") ? 10_000 : 1);
        assertThat(schedule.size()).isLessThanOrEqualTo(InstanceSelection.MAX_SCHEDULE + 1);
        Map<String, Long> counts = schedule.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(counts.get("small")).isEqualTo(1);
        assertThat(counts.get("big")).isGreaterThan(900);
    }

    @Test
    void theSupplierReadsTheLatestStateOfTheView() {
        AtomicReference<ServiceView.Snapshot> latest = new AtomicReference<>(new ServiceView.Snapshot("orders", 1, List.of(
                instance("a1", HealthStatus.HEALTHY, "a", 300),
                instance("a2", HealthStatus.HEALTHY, "a", 100),
                instance("b1", HealthStatus.HEALTHY, "b", 100))));
        MusterServiceInstanceListSupplier supplier = new MusterServiceInstanceListSupplier("orders",
                CompletableFuture.completedFuture(null), latest::get, "a", Duration.ofSeconds(1));
        assertThat(supplier.getServiceId()).isEqualTo("orders");
        assertThat(counts(first(supplier))).isEqualTo(Map.of("a1", 3L, "a2", 1L));
        assertThat(first(supplier)).isSameAs(first(supplier)); // computed once per state

        latest.set(new ServiceView.Snapshot("orders", 2, List.of(
                instance("a1", HealthStatus.UNHEALTHY, "a", 300),
                instance("a2", HealthStatus.UNHEALTHY, "a", 100),
                instance("b1", HealthStatus.HEALTHY, "b", 100))));
        assertThat(ids(first(supplier))).containsExactly("b1");
        ServiceInstance b1 = first(supplier).get(0);
        assertThat(b1.getMetadata()).containsEntry("zone", "b").containsEntry("weight", "100");
        assertThat(b1.getUri()).hasToString("http://10.0.0.2:8080");
    }

    @Test
    void noFirstStateWithinTheDeadlineMeansNoInstances() {
        MusterServiceInstanceListSupplier supplier = new MusterServiceInstanceListSupplier("orders",
                new CompletableFuture<>(), () -> {
                    throw new AssertionError("no state to read");
                }, "", Duration.ofMillis(50));
        assertThat(first(supplier)).isEmpty();
    }
}
