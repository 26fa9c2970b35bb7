package io.muster.spring.cloud;

import io.muster.client.RegistryClient;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The registry client and the shared service views ({@code muster.enabled}, default on). Define a
 * {@link RegistryClient} bean of your own for options the properties do not cover (TLS, a custom
 * channel); it is used instead, and closed by you.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "muster.enabled", matchIfMissing = true)
@EnableConfigurationProperties(MusterProperties.class)
public class MusterAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public RegistryClient musterRegistryClient(MusterProperties properties) {
        if (properties.getTargets().isEmpty()) {
            throw new IllegalArgumentException("muster.targets: empty (expected: the host:port gRPC addresses of the registry members)");
        }
        RegistryClient.Builder b = RegistryClient.builder(properties.getTargets()).deadline(properties.getDeadline());
        if (properties.getSnapshotDir() != null) {
            b.snapshotDir(properties.getSnapshotDir());
        }
        return b.build();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public MusterServiceViews musterServiceViews(RegistryClient client, MusterProperties properties) {
        return new MusterServiceViews(client, properties.getDeadline());
    }
}
