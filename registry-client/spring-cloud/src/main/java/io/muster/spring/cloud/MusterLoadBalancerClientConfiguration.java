package io.muster.spring.cloud;

import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The configuration of each load-balancer client's context (one per service; its parent is the
 * application context, which holds the shared {@link MusterServiceViews}). Not component-scanned:
 * Spring Cloud LoadBalancer instantiates it per client.
 */
@Configuration(proxyBeanMethods = false)
public class MusterLoadBalancerClientConfiguration {

    @Bean
    public ServiceInstanceListSupplier musterServiceInstanceListSupplier(Environment env, MusterServiceViews views,
                                                                        MusterProperties properties) {
        String serviceId = env.getRequiredProperty(LoadBalancerClientFactory.PROPERTY_NAME);
        return new MusterServiceInstanceListSupplier(views.view(serviceId), properties.preferredZone(), views.firstStateTimeout());
    }
}
