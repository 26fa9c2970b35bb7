package io.muster.spring.cloud;

import io.muster.api.v1.ServiceSummary;
import io.muster.client.RegistryClient;
import io.muster.client.ServiceView;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Spring Cloud's {@link ReactiveDiscoveryClient} on the registry's watches: {@link #getInstances}
 * emits the routable instances of the service from its {@link ServiceView} once the view has its
 * first state (never blocking a thread), or nothing if that takes longer than {@code muster.deadline}.
 * {@link #getServices()} and {@link #reactiveProbe()} call the registry on Reactor's bounded elastic
 * scheduler (the client's blocking calls).
 */
public final class MusterReactiveDiscoveryClient implements ReactiveDiscoveryClient {

    private final RegistryClient client;
    private final MusterServiceViews views;
    private final Map<String, MusterServiceViews.PerSnapshot<List<ServiceInstance>>> answers = new ConcurrentHashMap<>();

    public MusterReactiveDiscoveryClient(RegistryClient client, MusterServiceViews views) {
        this.client = client;
        this.views = views;
    }

    @Override
    public String description() {
        return "Muster reactive discovery client (" + String.join(",", client.targets()) + ")";
    }

    @Override
    public Flux<ServiceInstance> getInstances(String serviceId) {
        return Flux.defer(() -> {
            ServiceView view = views.view(serviceId);
            MusterServiceViews.PerSnapshot<List<ServiceInstance>> answer =
                    answers.computeIfAbsent(view.service(), s -> new MusterServiceViews.PerSnapshot<>(MusterServiceViews::routableInstances));
            // suppressCancel: a cancelled lookup must not cancel the view's shared first-state future
            return Mono.fromFuture(view.whenReady(), true)
                    .timeout(views.firstStateTimeout())
                    .then(Mono.fromSupplier(() -> answer.of(view.snapshot())))
                    .onErrorResume(e -> Mono.empty())
                    .flatMapIterable(list -> list);
        });
    }

    @Override
    public Flux<String> getServices() {
        return Mono.fromCallable(client::listServices).subscribeOn(Schedulers.boundedElastic())
                .flatMapIterable(list -> list).map(ServiceSummary::getName);
    }

    @Override
    public Mono<Void> reactiveProbe() {
        return Mono.fromRunnable(client::leader).subscribeOn(Schedulers.boundedElastic()).then();
    }

    @Override
    public void probe() {
        client.leader();
    }
}
