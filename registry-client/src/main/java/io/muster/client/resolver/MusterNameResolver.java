package io.muster.client.resolver;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import io.muster.client.RegistryClient;
import io.muster.client.ServiceView;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Consumer;

/** Pushes the routable instances of one service to gRPC on every change of its {@link ServiceView}. */
final class MusterNameResolver extends NameResolver {

    /** Attribute carrying the instance id on each address group. */
    static final Attributes.Key<String> INSTANCE_ID = Attributes.Key.create("muster.instance-id");

    private final RegistryClient client;
    private final String service;
    private final SynchronizationContext syncContext;
    private ServiceView view;
    private Listener2 listener;
    private final Consumer<ServiceView.Snapshot> onChange = this::publish;

    MusterNameResolver(RegistryClient client, String service, SynchronizationContext syncContext) {
        this.client = client;
        this.service = service;
        this.syncContext = syncContext;
    }

    @Override
    public String getServiceAuthority() {
        return service;
    }

    @Override
    public void start(Listener2 listener) {
        this.listener = listener;
        this.view = client.serviceView(service);
        view.addListener(onChange);
    }

    private void publish(ServiceView.Snapshot snapshot) {
        List<EquivalentAddressGroup> groups = snapshot.routable().stream()
                .map(i -> new EquivalentAddressGroup(new InetSocketAddress(i.getHost(), i.getPort()),
                        Attributes.newBuilder().set(INSTANCE_ID, i.getId()).build()))
                .toList();
        syncContext.execute(() -> {
            if (groups.isEmpty()) {
                listener.onResult(ResolutionResult.newBuilder()
                        .setAddressesOrError(StatusOr.fromStatus(Status.UNAVAILABLE.withDescription(
                                "no routable instance of '" + service + "' at revision " + snapshot.revision())))
                        .build());
            } else {
                listener.onResult(ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(groups)).build());
            }
        });
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
