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
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.Arrays;
import io.muster.client.Namespaces;

/**
 * Resolves {@code muster:///<namespace>/<service>} through the registry, so a plain gRPC channel
 * follows the service's routable instances (client-side load balancing, no gateway).
 * {@code muster:///<service>} names the service in the client's namespace
 * ({@link RegistryClient.Builder#namespace}, {@code default} unless set). Per channel, without
 * touching the process-wide registry:
 *
 * <pre>{@code
 * ManagedChannel ch = ManagedChannelBuilder.forTarget("muster:///orders")
 *         .nameResolverFactory(MusterNameResolverProvider.registryOf(client).asFactory())
 *         .defaultLoadBalancingPolicy("round_robin").usePlaintext().build();
 * }</pre>
 *
 * <p>or for every channel of the process: {@code MusterNameResolverProvider.register(client)}.
 *
 * <p>Each address carries {@link MusterAttributes} (id, weight, zone, metadata). When no instance
 * is routable the channel gets {@code UNAVAILABLE: no healthy instances of <service>}.
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

    /**
     * A resolver registry of its own holding only a provider backed by {@code client}: pass
     * {@code registryOf(client).asFactory()} to one channel builder's {@code nameResolverFactory}.
     */
    public static NameResolverRegistry registryOf(RegistryClient client) {
        NameResolverRegistry registry = new NameResolverRegistry();
        registry.register(new MusterNameResolverProvider(client));
        return registry;
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
        String[] parts = path == null || path.length() < 2 ? new String[0] : path.substring(1).split("/", -1);
        if (parts.length < 1 || parts.length > 2 || Arrays.asList(parts).contains("")) {
            throw new IllegalArgumentException("target: '" + targetUri + "' (expected: muster:///<service> or muster:///<namespace>/<service>)");
        }
        String namespace = parts.length == 2 ? Namespaces.check("target namespace", parts[0]) : client.namespace();
        Executor offload = args.getOffloadExecutor() != null ? args.getOffloadExecutor() : ForkJoinPool.commonPool();
        return new MusterNameResolver(client, namespace, parts[parts.length - 1], args.getSynchronizationContext(), offload);
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
