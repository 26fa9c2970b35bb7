package io.muster.client.resolver;

import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.muster.client.RegistryClient;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Resolves {@code muster:///<service>} through the registry, so a plain gRPC channel follows the
 * service's routable instances (client-side load balancing, no gateway):
 *
 * <pre>{@code
 * MusterNameResolverProvider.register(client);
 * ManagedChannel ch = ManagedChannelBuilder.forTarget("muster:///orders")
 *         .defaultLoadBalancingPolicy("round_robin").usePlaintext().build();
 * }</pre>
 */
public final class MusterNameResolverProvider extends NameResolverProvider {

    public static final String SCHEME = "muster";

    private final RegistryClient client;

    public MusterNameResolverProvider(RegistryClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    /** Registers a provider backed by {@code client} in the default registry and returns it. */
    public static MusterNameResolverProvider register(RegistryClient client) {
        MusterNameResolverProvider p = new MusterNameResolverProvider(client);
        NameResolverRegistry.getDefaultRegistry().register(p);
        return p;
    }

    /** Removes it again (e.g. before closing the client). */
    public void deregister() {
        NameResolverRegistry.getDefaultRegistry().deregister(this);
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
        if (!SCHEME.equals(targetUri.getScheme())) {
            return null;
        }
        String path = targetUri.getPath();
        if (path == null || path.length() < 2) {
            throw new IllegalArgumentException("target: '" + targetUri + "' (expected: muster:///<service>)");
        }
        return new MusterNameResolver(client, path.substring(1), args.getSynchronizationContext());
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }

    @Override
    protected boolean isAvailable() {
        return true;
    }

    @Override
    protected int priority() {
        return 5;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
        return List.of(InetSocketAddress.class);
    }
}
