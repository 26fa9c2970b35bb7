package io.muster.spring.cloud;

import io.muster.client.RegistryClient;
import java.util.Locale;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.cloud.client.serviceregistry.AutoServiceRegistrationAutoConfiguration;
import org.springframework.cloud.client.serviceregistry.AutoServiceRegistrationConfiguration;
import org.springframework.cloud.client.serviceregistry.AutoServiceRegistrationProperties;
import org.springframework.cloud.commons.util.InetUtils;
import org.springframework.cloud.commons.util.UtilAutoConfiguration;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Registers the running application ({@code muster.registration.enabled} and Spring Cloud's {@code
 * spring.cloud.service-registry.auto-registration.enabled}) with an HTTP check of its actuator
 * health endpoint.
 */
@AutoConfiguration(after = {MusterAutoConfiguration.class, AutoServiceRegistrationConfiguration.class,
        AutoServiceRegistrationAutoConfiguration.class, UtilAutoConfiguration.class})
@ConditionalOnBooleanProperty(name = "muster.registration.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "spring.cloud.service-registry.auto-registration.enabled", matchIfMissing = true)
@ConditionalOnBean({RegistryClient.class, AutoServiceRegistrationProperties.class})
public class MusterRegistrationAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public MusterServiceRegistry musterServiceRegistry(RegistryClient client) {
        return new MusterServiceRegistry(client);
    }

    @Bean
    @ConditionalOnMissingBean
    public MusterRegistration musterRegistration(MusterProperties properties, Environment env, ObjectProvider<InetUtils> inetUtils) {
        MusterProperties.Registration r = properties.getRegistration();
        String service = r.getService() != null && !r.getService().isBlank() ? r.getService() : env.getProperty("spring.application.name");
        if (service == null || service.isBlank()) {
            throw new IllegalArgumentException("muster.registration.service: empty (set it, or spring.application.name)");
        }
        String host = r.getHost();
        if (host == null || host.isBlank()) {
            InetUtils utils = inetUtils.getIfAvailable();
            host = utils != null ? utils.findFirstNonLoopbackHostInfo().getIpAddress() : "127.0.0.1";
        }
        String path = null;
        int port = 0;
        MusterProperties.HealthCheck hc = r.getHealthCheck();
        if (hc.isEnabled()) {
            if (hc.getTimeout().compareTo(hc.getInterval()) > 0) {
                throw new IllegalArgumentException("muster.registration.health-check.timeout: " + hc.getTimeout().toMillis()
                        + "ms (expected: at most the interval, " + hc.getInterval().toMillis() + "ms)");
            }
            path = hc.getPath() != null && !hc.getPath().isEmpty() ? hc.getPath() : actuatorHealthPath(env);
            port = hc.getPort() != 0 ? hc.getPort() : managementPort(env);
        }
        return new MusterRegistration(r, service.toLowerCase(Locale.ROOT), host, path, port);
    }

    @Bean
    @ConditionalOnMissingBean
    public MusterAutoServiceRegistration musterAutoServiceRegistration(ApplicationContext context, MusterServiceRegistry registry,
                                                                       AutoServiceRegistrationProperties autoProperties,
                                                                       MusterProperties properties, MusterRegistration registration) {
        return new MusterAutoServiceRegistration(context, registry, autoProperties, properties, registration);
    }

    /**
     * Deregisters when the context starts to close, before the web server stops taking requests
     * (Spring Cloud's base class deregisters only when its bean is destroyed, after the server has
     * stopped: callers would hit a closed port until their views heard of it).
     */
    @Bean
    public ApplicationListener<ContextClosedEvent> musterDeregistrationOnClose(ApplicationContext context,
                                                                               MusterAutoServiceRegistration registration) {
        return event -> {
            if (event.getApplicationContext() == context) {
                registration.stop();
            }
        };
    }

    /**
     * The actuator's health endpoint as the web server serves it: the management server's base path
     * when it has a port of its own, else the servlet context path; then the endpoints' base path.
     */
    static String actuatorHealthPath(Environment env) {
        String prefix = managementPort(env) != 0
                ? env.getProperty("management.server.base-path", "")
                : env.getProperty("server.servlet.context-path", env.getProperty("spring.webflux.base-path", ""));
        String base = env.getProperty("management.endpoints.web.base-path", "/actuator");
        String healthPath = env.getProperty("management.endpoints.web.path-mapping.health", "health");
        return join(join(prefix, base), healthPath);
    }

    /** {@code management.server.port} when it is set to a port of its own, else 0 (the instance's port). */
    static int managementPort(Environment env) {
        Integer mgmt = env.getProperty("management.server.port", Integer.class);
        Integer server = env.getProperty("server.port", Integer.class);
        return mgmt != null && mgmt > 0 && !mgmt.equals(server) ? mgmt : 0;
    }

    private static String join(String a, String b) {
        String left = a.endsWith("/") ? a.substring(0, a.length() - 1) : a;
        String right = b.startsWith("/") ? b : "/" + b;
        return right.equals("/") ? (left.isEmpty() ? "/" : left) : left + right;
    }
}
