package io.muster.spring.cloud;

import io.muster.client.RegistryClient;
import io.muster.client.ServiceView;
import io.muster.api.v1.ServiceSummary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;

/**
 * Spring Cloud's blocking {@link DiscoveryClient} on the registry's watches: {@link #getInstances}
 * answers the routable (HEALTHY or WARNING) instances of the service from its {@link ServiceView},
 * without a call to the registry. Only the first lookup of a service waits, for the view's first
 * state, at most {@code muster.deadline}; if none came by then (registry unreachable) or the watch
 * failed (e.g. a service name the registry refuses), it answers no instances and logs why.
 */
public final class MusterDiscoveryClient implements DiscoveryClient {

    private static final Log log = LogFactory.getLog(MusterDiscoveryClient.class);

    private final RegistryClient client;
    private final MusterServiceViews views;
    private final Map<String, MusterServiceViews.PerSnapshot<List<ServiceInstance>>> answers = new ConcurrentHashMap<>();

    public MusterDiscoveryClient(RegistryClient client, MusterServiceViews views) {
        this.client = client;
        this.views = views;
    }

    @Override
    public String description() {
        return "Muster discovery client (" + String.join(",", client.targets()) + ")";
    }

    @Override
    public List<ServiceInstance> getInstances(String serviceId) {
        ServiceView view = views.view(serviceId);
        if (!view.whenReady().isDone()) {
            try {
                view.whenReady().get(views.firstStateTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                log.warn("no state of service " + view.service() + " from the registry within " + views.firstStateTimeout()
                        + ": answering no instances");
                return List.of();
            } catch (ExecutionException e) {
                log.warn("watch of service " + view.service() + " failed: " + e.getCause());
                return List.of();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.of();
            }
        } else if (view.whenReady().isCompletedExceptionally()) {
            return List.of();
        }
        return answers.computeIfAbsent(view.service(), s -> new MusterServiceViews.PerSnapshot<>(MusterServiceViews::routableInstances))
                .of(view.snapshot());
    }

    /** The services the registry knows (one linearizable call). */
    @Override
    public List<String> getServices() {
        return client.listServices().stream().map(ServiceSummary::getName).toList();
    }

    /** Asks the cluster for its leader: fails if no member answers or none leads. */
    @Override
    public void probe() {
        client.leader();
    }
}
