package io.muster.spring.cloud;

import io.muster.client.RegistryClient;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.cloud.client.ConditionalOnBlockingDiscoveryEnabled;
import org.springframework.cloud.client.ConditionalOnDiscoveryEnabled;
import org.springframework.cloud.client.ConditionalOnReactiveDiscoveryEnabled;
import org.springframework.cloud.client.discovery.simple.SimpleDiscoveryClientAutoConfiguration;
import org.springframework.cloud.client.discovery.simple.reactive.SimpleReactiveDiscoveryClientAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@link MusterDiscoveryClient} and {@link MusterReactiveDiscoveryClient} ({@code
 * muster.discovery.enabled}, and Spring Cloud's {@code spring.cloud.discovery.enabled},
 * {@code spring.cloud.discovery.blocking.enabled}, {@code spring.cloud.discovery.reactive.enabled}).
 */
@AutoConfiguration(after = MusterAutoConfiguration.class,
        before = {SimpleDiscoveryClientAutoConfiguration.class, SimpleReactiveDiscoveryClientAutoConfiguration.class})
@ConditionalOnDiscoveryEnabled
@ConditionalOnBooleanProperty(name = "muster.discovery.enabled", matchIfMissing = true)
@ConditionalOnBean(MusterServiceViews.class)
public class MusterDiscoveryAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBlockingDiscoveryEnabled
    static class Blocking {
        @Bean
        @ConditionalOnMissingBean
        public MusterDiscoveryClient musterDiscoveryClient(RegistryClient client, MusterServiceViews views) {
            return new MusterDiscoveryClient(client, views);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "reactor.core.publisher.Flux")
    @ConditionalOnReactiveDiscoveryEnabled
    static class Reactive {
        @Bean
        @ConditionalOnMissingBean
        public MusterReactiveDiscoveryClient musterReactiveDiscoveryClient(RegistryClient client, MusterServiceViews views) {
            return new MusterReactiveDiscoveryClient(client, views);
        }
    }
}
