package io.muster.spring.cloud;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.cloud.client.serviceregistry.AbstractAutoServiceRegistration;
import org.springframework.cloud.client.serviceregistry.AutoServiceRegistrationProperties;
import org.springframework.context.ApplicationContext;

/**
 * Registers the running application once its web server has started (with the server's port unless
 * {@code muster.registration.port} is set) and deregisters it when the application context closes,
 * before the web server stops taking requests. With {@code
 * spring.cloud.service-registry.auto-registration.fail-fast=true} a failed registration stops the
 * application; otherwise it is logged and the application runs unregistered.
 */
public final class MusterAutoServiceRegistration extends AbstractAutoServiceRegistration<MusterRegistration> {

    private static final Log log = LogFactory.getLog(MusterAutoServiceRegistration.class);

    private final MusterRegistration registration;
    private final AutoServiceRegistrationProperties autoProperties;
    private final MusterProperties properties;

    public MusterAutoServiceRegistration(ApplicationContext context, MusterServiceRegistry registry,
                                         AutoServiceRegistrationProperties autoProperties,
                                         MusterProperties properties, MusterRegistration registration) {
        super(context, registry, autoProperties);
        this.registration = registration;
        this.autoProperties = autoProperties;
        this.properties = properties;
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (!"management".equals(event.getApplicationContext().getServerNamespace())) {
            registration.portIfUnset(event.getWebServer().getPort());
        }
        super.onApplicationEvent(event);
    }

    @Override
    protected void register() {
        try {
            super.register();
        } catch (RuntimeException e) {
            if (autoProperties.isFailFast()) {
                throw e;
            }
            log.warn("registering " + registration + " failed; the application runs unregistered", e);
        }
    }

    @Override
    protected Object getConfiguration() {
        return properties;
    }

    @Override
    protected boolean isEnabled() {
        return properties.isEnabled() && properties.getRegistration().isEnabled();
    }

    @Override
    protected MusterRegistration getRegistration() {
        return registration;
    }

    @Override
    protected MusterRegistration getManagementRegistration() {
        return null;
    }
}
