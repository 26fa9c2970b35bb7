package io.muster.server.api;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.muster.api.v1.AclGrpc;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.DeregisterRequest;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.UpdateHealthRequest;
import io.muster.api.v1.SetMaintenanceRequest;
import io.muster.api.v1.WatchRequest;
import io.muster.server.catalog.AclView;
import io.muster.server.catalog.Namespaces;
import io.muster.server.catalog.Principal;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Authenticates and authorizes every call on the public port when ACLs are on (installed on the
 * Registry, Cluster and Acl services). The token comes from {@code authorization: Bearer <token>};
 * none, a malformed or an unknown one is {@code UNAUTHENTICATED}. What the method needs:
 *
 * <ul>
 *   <li>Cluster and Acl methods: the operator rule ({@code Acl/Bootstrap} needs no token: it works
 *       once per cluster);</li>
 *   <li>Register, Deregister, UpdateHealth: write on the request's service in the request's
 *       namespace; Discover: read on it; Watch of named services: read on each, in the watch's
 *       namespace. Checked on the request message, before the handler sees it;</li>
 *   <li>ListServices, Watch of everything: any valid token; the handler leaves out the services the
 *       token may not read. KeepAlive: the handler checks write on each lease's service.</li>
 * </ul>
 *
 * A refusal is {@code PERMISSION_DENIED} naming the missing rule
 * ({@code write on service "orders" in namespace "shop"}).
 * The token's {@link Principal} travels in the call's {@link Context} ({@link #principal()}); calls
 * on the peer listener (forwarded by members) carry none and are not checked: they were authorized
 * on the member the client called.
 */
final class AclInterceptor implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<Principal> PRINCIPAL = Context.key("muster-acl-principal");
    private static final String BEARER = "Bearer ";

    private enum Need { NONE, TOKEN, OPERATOR, READ_SERVICE, WRITE_SERVICE }

    private static final Map<String, Need> NEEDS = new HashMap<>();

    static {
        for (var m : ClusterGrpc.getServiceDescriptor().getMethods()) {
            NEEDS.put(m.getFullMethodName(), Need.OPERATOR);
        }
        for (var m : AclGrpc.getServiceDescriptor().getMethods()) {
            NEEDS.put(m.getFullMethodName(), Need.OPERATOR);
        }
        NEEDS.put(AclGrpc.getBootstrapMethod().getFullMethodName(), Need.NONE);
        NEEDS.put(RegistryGrpc.getRegisterMethod().getFullMethodName(), Need.WRITE_SERVICE);
        NEEDS.put(RegistryGrpc.getDeregisterMethod().getFullMethodName(), Need.WRITE_SERVICE);
        NEEDS.put(RegistryGrpc.getUpdateHealthMethod().getFullMethodName(), Need.WRITE_SERVICE);
        NEEDS.put(RegistryGrpc.getSetMaintenanceMethod().getFullMethodName(), Need.WRITE_SERVICE);
        NEEDS.put(RegistryGrpc.getDiscoverMethod().getFullMethodName(), Need.READ_SERVICE);
        NEEDS.put(RegistryGrpc.getWatchMethod().getFullMethodName(), Need.READ_SERVICE);
        NEEDS.put(RegistryGrpc.getListServicesMethod().getFullMethodName(), Need.TOKEN);
        NEEDS.put(RegistryGrpc.getKeepAliveMethod().getFullMethodName(), Need.TOKEN);
    }

    private final Supplier<AclView> acl;

    AclInterceptor(Supplier<AclView> acl) {
        this.acl = acl;
    }

    /** The principal of the current call, or null when ACLs are off or the call came over the peer listener. */
    static Principal principal() {
        return PRINCIPAL.get();
    }

    static Status denied(String rule, Principal p) {
        return Status.PERMISSION_DENIED.withDescription("permission denied: token " + p.accessorId() + " lacks " + rule);
    }

    static Status revoked(String accessorId) {
        return Status.PERMISSION_DENIED.withDescription("permission denied: token " + accessorId + " was deleted");
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        // a method this table does not know (one added later) needs the operator rule, never nothing
        Need need = NEEDS.getOrDefault(call.getMethodDescriptor().getFullMethodName(), Need.OPERATOR);
        if (need == Need.NONE) {
            return next.startCall(call, headers);
        }
        String header = headers.get(AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription(
                    "missing token: send the metadata 'authorization: Bearer <token>' (muster --token or MUSTER_TOKEN)"));
        }
        Principal p = acl.get().authenticate(header.substring(BEARER.length()).trim());
        if (p == null) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription("unknown token (deleted, mistyped, or of another cluster)"));
        }
        if (need == Need.OPERATOR && !p.operator()) {
            String method = call.getMethodDescriptor().getFullMethodName();
            return refuse(call, denied("operator (needed by " + method.substring(method.lastIndexOf('.') + 1) + ")", p));
        }
        ServerCall.Listener<Q> listener = Contexts.interceptCall(Context.current().withValue(PRINCIPAL, p), call, headers, next);
        if (need == Need.READ_SERVICE || need == Need.WRITE_SERVICE) {
            return new Checked<>(listener, call, p);
        }
        return listener;
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }

    /** The rule the request needs, or null when it needs none beyond a valid token. */
    static String missingRule(Object request, Principal p) {
        if (request instanceof RegisterRequest r) {
            return writes(p, r.getInstance().getNamespace(), r.getInstance().getService());
        }
        if (request instanceof DeregisterRequest r) {
            return writes(p, r.getNamespace(), r.getService());
        }
        if (request instanceof UpdateHealthRequest r) {
            return writes(p, r.getNamespace(), r.getService());
        }
        if (request instanceof SetMaintenanceRequest r) {
            return writes(p, r.getNamespace(), r.getService());
        }
        if (request instanceof DiscoverRequest r) {
            return p.canRead(r.getNamespace(), r.getService()) ? null : read(r.getNamespace(), r.getService());
        }
        if (request instanceof WatchRequest r) {
            // a watch of every namespace ("*") names no service (the handler refuses one that does)
            // and is filtered by the handler like a watch of everything
            for (String s : r.getServicesList()) {
                if (!p.canRead(r.getNamespace(), s)) {
                    return read(r.getNamespace(), s);
                }
            }
        }
        return null;
    }

    private static String writes(Principal p, String namespace, String service) {
        return p.canWrite(namespace, service) ? null : write(namespace, service);
    }

    static String write(String namespace, String service) {
        return "write on service \"" + service + "\" in namespace \"" + Namespaces.of(namespace) + "\"";
    }

    static String read(String namespace, String service) {
        return "read on service \"" + service + "\" in namespace \"" + Namespaces.of(namespace) + "\"";
    }

    /** Checks the (single) request message; a refused call reaches the handler no further. */
    private static final class Checked<Q, R> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
        private final ServerCall<Q, R> call;
        private final Principal principal;
        private boolean refused;

        Checked(ServerCall.Listener<Q> delegate, ServerCall<Q, R> call, Principal principal) {
            super(delegate);
            this.call = call;
            this.principal = principal;
        }

        @Override
        public void onMessage(Q message) {
            if (refused) {
                return;
            }
            String missing = missingRule(message, principal);
            if (missing != null) {
                refused = true;
                call.close(denied(missing, principal), new Metadata());
                return;
            }
            super.onMessage(message);
        }

        @Override
        public void onHalfClose() {
            if (!refused) {
                super.onHalfClose();
            }
        }

        @Override
        public void onReady() {
            if (!refused) {
                super.onReady();
            }
        }
    }
}
