package io.muster.spring.cloud;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClients;
import org.springframework.cloud.loadbalancer.config.LoadBalancerAutoConfiguration;

/**
 * Every Spring Cloud LoadBalancer client (a {@code @LoadBalanced} {@code RestClient}, {@code
 * WebClient} or {@code RestTemplate}) gets its instances from {@link MusterServiceInstanceListSupplier}
 * ({@code muster.loadbalancer.enabled}, default on).
 */
@AutoConfiguration(after = MusterAutoConfiguration.class, before = LoadBalancerAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier")
@ConditionalOnBooleanProperty(name = "muster.loadbalancer.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "spring.cloud.loadbalancer.enabled", matchIfMissing = true)
@ConditionalOnBean(MusterServiceViews.class)
@LoadBalancerClients(defaultConfiguration = MusterLoadBalancerClientConfiguration.class)
public class MusterLoadBalancerAutoConfiguration {
}
