package io.muster.spring.cloud;

import io.muster.client.ServiceView;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The instances Spring Cloud LoadBalancer chooses from, for one service: read from the service's
 * watch-fed {@link ServiceView} on every request (no polling, no cache to expire: a health change or
 * a deregistration is seen as soon as the watch delivers it). Honours health (routable only), zone
 * (the preferred zone's instances while it has any) and weight (a smooth weighted schedule; see
 * {@link InstanceSelection}). The list is computed once per state of the view.
 *
 * <p>{@link #get()} emits one list and completes, once the view has its first state; if that does
 * not come within {@code muster.deadline} it emits an empty list (the load balancer answers "no
 * instances").
 */
public final class MusterServiceInstanceListSupplier implements ServiceInstanceListSupplier {

    private final String serviceId;
    private final CompletableFuture<?> ready;
    private final Supplier<ServiceView.Snapshot> latest;
    private final Duration firstStateTimeout;
    private final MusterServiceViews.PerSnapshot<List<ServiceInstance>> schedule;

    public MusterServiceInstanceListSupplier(ServiceView view, String preferredZone, Duration firstStateTimeout) {
        this(view.service(), view.whenReady(), view::snapshot, preferredZone, firstStateTimeout);
    }

    MusterServiceInstanceListSupplier(String serviceId, CompletableFuture<?> ready, Supplier<ServiceView.Snapshot> latest,
                                      String preferredZone, Duration firstStateTimeout) {
        this.serviceId = serviceId;
        this.ready = ready;
        this.latest = latest;
        this.firstStateTimeout = firstStateTimeout;
        this.schedule = new MusterServiceViews.PerSnapshot<>(s -> InstanceSelection.weighted(
                InstanceSelection.routable(s.instances(), preferredZone).stream().map(MusterServiceInstance::new).toList(),
                MusterServiceInstance::weight).stream().<ServiceInstance>map(i -> i).toList());
    }

    @Override
    public String getServiceId() {
        return serviceId;
    }

    @Override
    public Flux<List<ServiceInstance>> get() {
        return Mono.fromFuture(ready, true)
                .timeout(firstStateTimeout)
                .then(Mono.fromSupplier(() -> schedule.of(latest.get())))
                .onErrorReturn(List.of())
                .flux();
    }
}
