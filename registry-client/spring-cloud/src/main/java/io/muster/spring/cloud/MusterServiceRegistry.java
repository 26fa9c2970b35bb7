package io.muster.spring.cloud;

import io.muster.api.v1.Instance;
import io.muster.client.DiscoverFilter;
import io.muster.client.RegistryClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.cloud.client.serviceregistry.ServiceRegistry;

/**
 * Spring Cloud's {@link ServiceRegistry} on the client library: {@link #register} registers the
 * instance and keeps its lease alive (an {@link io.muster.client.Registration} handle, which
 * re-registers if the lease is ever lost); {@link #deregister} stops the keep-alives and deregisters.
 *
 * <p>An instance's status is its health, set by the registry's checks: {@link #getStatus} reads it
 * ({@code HEALTHY}, {@code UNHEALTHY}, ...); {@link #setStatus} is not supported.
 */
public final class MusterServiceRegistry implements ServiceRegistry<MusterRegistration> {

    private static final Log log = LogFactory.getLog(MusterServiceRegistry.class);

    private final RegistryClient client;
    private final Map<String, io.muster.client.Registration> handles = new ConcurrentHashMap<>();

    public MusterServiceRegistry(RegistryClient client) {
        this.client = client;
    }

    private static String key(MusterRegistration r) {
        return r.getServiceId() + "/" + r.getInstanceId();
    }

    @Override
    public void register(MusterRegistration registration) {
        Instance instance = registration.toInstance();
        io.muster.client.Registration handle = client.register(instance, new io.muster.client.Registration.Listener() {
            @Override
            public void onLeaseAtRisk(Duration sinceRenewal) {
                log.warn("lease of " + registration + " at risk: no keep-alive confirmed for " + sinceRenewal.toMillis() + " ms");
            }

            @Override
            public void onLeaseLost(long leaseId) {
                log.warn("lease " + leaseId + " of " + registration + " was lost: registering again");
            }
        });
        io.muster.client.Registration previous = handles.put(key(registration), handle);
        if (previous != null) {
            previous.closeAsync(); // registered twice: keep one lease
        }
        log.info("registered " + registration + (registration.healthCheckPath() == null ? "" : ", HTTP check " + registration.healthCheckPath()));
    }

    @Override
    public void deregister(MusterRegistration registration) {
        io.muster.client.Registration handle = handles.remove(key(registration));
        if (handle != null) {
            handle.close();
            log.info("deregistered " + registration);
        }
    }

    /** Deregisters what is still registered. */
    @Override
    public void close() {
        handles.values().forEach(io.muster.client.Registration::close);
        handles.clear();
    }

    @Override
    public void setStatus(MusterRegistration registration, String status) {
        throw new UnsupportedOperationException("muster: an instance's status is its health, set by the registry's checks");
    }

    /** The instance's health as the registry sees it, or {@code UNKNOWN} if it does not know the instance. */
    @Override
    @SuppressWarnings("unchecked")
    public <T> T getStatus(MusterRegistration registration) {
        return (T) client.discover(registration.getServiceId(), DiscoverFilter.all()).stream()
                .filter(i -> i.getId().equals(registration.getInstanceId()))
                .map(i -> i.getHealth().name()).findFirst().orElse("UNKNOWN");
    }
}
