package io.muster.client.resolver;

import com.google.common.net.InetAddresses;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import io.muster.api.v1.Instance;
import io.muster.client.Namespaces;
import io.muster.client.RegistryClient;
import io.muster.client.ServiceView;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Pushes the routable instances of one service (in one namespace) to gRPC on every change of its {@link ServiceView}.
 *
 * <p>Threading: the view calls {@link #publish} on the client's callback executor (never under a
 * client lock). Host names are looked up on gRPC's offload executor, never on a watch thread; the
 * result reaches the channel through its {@link SynchronizationContext}, where a result older than
 * the last one published is dropped.
 */
final class MusterNameResolver extends NameResolver {

    private static final System.Logger log = System.getLogger(MusterNameResolver.class.getName());

    private final RegistryClient client;
    private final String namespace;
    private final String service;
    /** {@code service} in the default namespace, else {@code namespace/service}: how messages name it. */
    private final String name;
    private final SynchronizationContext syncContext;
    private final Executor lookups;
    private ServiceView view;
    private Listener2 listener;
    private long publishedRevision = -1;
    private final Consumer<ServiceView.Snapshot> onChange = this::publish;

    MusterNameResolver(RegistryClient client, String namespace, String service, SynchronizationContext syncContext, Executor offload) {
        this.client = client;
        this.namespace = namespace;
        this.name = namespace.equals(Namespaces.DEFAULT) ? service : namespace + "/" + service;
        this.service = service;
        this.syncContext = syncContext;
        this.lookups = com.google.common.util.concurrent.MoreExecutors.newSequentialExecutor(offload);
    }

    @Override
    public String getServiceAuthority() {
        return service;
    }

    @Override
    public void start(Listener2 listener) {
        this.listener = listener;
        this.view = client.serviceView(namespace, service);
        view.addListener(onChange);
        view.whenReady().whenComplete((s, e) -> {
            if (e != null) {
                Status status = Status.fromThrowable(e);
                syncContext.execute(() -> listener.onError(status));
            }
        });
    }

    private void publish(ServiceView.Snapshot snapshot) {
        lookups.execute(() -> {
            List<EquivalentAddressGroup> groups = new ArrayList<>();
            for (Instance i : snapshot.routable()) {
                try {
                    groups.add(new EquivalentAddressGroup(new InetSocketAddress(address(i.getHost()), i.getPort()), attributes(i)));
                } catch (UnknownHostException e) {
                    log.log(Level.WARNING,
                            () -> "instance " + name + "/" + i.getId() + ": host '" + i.getHost() + "' does not resolve; left out");
                }
            }
            syncContext.execute(() -> deliver(snapshot.revision(), groups));
        });
    }

    /** An IP literal is parsed, not looked up; a name is looked up (we are on the offload executor). */
    private static InetAddress address(String host) throws UnknownHostException {
        return InetAddresses.isInetAddress(host) ? InetAddresses.forString(host) : InetAddress.getByName(host);
    }

    static Attributes attributes(Instance i) {
        Attributes.Builder a = Attributes.newBuilder()
                .set(MusterAttributes.INSTANCE_ID, i.getId())
                .set(MusterAttributes.WEIGHT, i.getWeight() == 0 ? 1 : i.getWeight())
                .set(MusterAttributes.METADATA, Map.copyOf(i.getMetadataMap()));
        if (!i.getZone().isEmpty()) {
            a.set(MusterAttributes.ZONE, i.getZone());
        }
        return a.build();
    }

    /** In the channel's synchronization context. */
    private void deliver(long revision, List<EquivalentAddressGroup> groups) {
        if (revision < publishedRevision) {
            return;
        }
        publishedRevision = revision;
        if (groups.isEmpty()) {
            listener.onResult(ResolutionResult.newBuilder()
                    .setAddressesOrError(StatusOr.fromStatus(Status.UNAVAILABLE.withDescription(
                            "no healthy instances of " + name + " (revision " + revision + ")")))
                    .build());
        } else {
            listener.onResult(ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(List.copyOf(groups))).build());
        }
    }

    @Override
    public void refresh() {
        // the watch pushes every change; nothing to poll
    }

    @Override
    public void shutdown() {
        if (view != null) {
            view.removeListener(onChange);
            view.close();
        }
    }
}
