package io.muster.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The links between the members of a {@link ProcessCluster} built with {@code proxiedLinks()}: every
 * connection one member opens to another (Raft on the Raft port, forwarded calls, keep-alive relays
 * and liveness on the peer port) goes through a {@link LinkProxy} of that directed pair. Each member
 * is started with {@code --dial-route memberAddress=proxyAddress} for every other member, so the
 * members keep their identities (jraft's peer id is its address) while the test controls each link.
 * Client connections to the members' public gRPC ports are not proxied.
 *
 * <pre>{@code
 * cluster.network().partition(Set.of("n1"), Set.of("n2", "n3"));   // n1 alone
 * cluster.network().heal();
 * }</pre>
 *
 * <p>Thread-safe (the proxies are); the proxies live in the test's JVM and outlive member restarts.
 */
public final class Network implements AutoCloseable {

    /** Which port of the dialled member a link proxy forwards to. */
    public enum Port { RAFT, PEER }

    private record Key(String from, String to, Port port) {
    }

    private final Map<Key, LinkProxy> proxies = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<String> ids;

    Network(List<ProcessCluster.Member> members) {
        this.ids = members.stream().map(ProcessCluster.Member::id).toList();
        for (ProcessCluster.Member from : members) {
            for (ProcessCluster.Member to : members) {
                if (from.equals(to)) {
                    continue;
                }
                proxies.put(new Key(from.id(), to.id(), Port.RAFT),
                        LinkProxy.start(from.id() + "-" + to.id() + "-raft", hostPort(to.raftAddress())));
                proxies.put(new Key(from.id(), to.id(), Port.PEER),
                        LinkProxy.start(from.id() + "-" + to.id() + "-peer", hostPort(to.peerAddress())));
            }
        }
    }

    private static java.net.InetSocketAddress hostPort(String address) {
        int colon = address.lastIndexOf(':');
        return new java.net.InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
    }

    /** {@code --dial-route} entries of member {@code from}: the other members' addresses to its proxies. */
    List<String> dialRoutes(String from, List<ProcessCluster.Member> members) {
        List<String> routes = new ArrayList<>();
        for (ProcessCluster.Member to : members) {
            if (!to.id().equals(from)) {
                routes.add(to.raftAddress() + "=" + link(from, to.id(), Port.RAFT).address());
                routes.add(to.peerAddress() + "=" + link(from, to.id(), Port.PEER).address());
            }
        }
        return routes;
    }

    /** The proxy of the connections {@code from} opens to {@code to}'s {@code port}. */
    public LinkProxy link(String from, String to, Port port) {
        LinkProxy p = proxies.get(new Key(from, to, port));
        if (p == null) {
            throw new IllegalArgumentException("no link " + from + " -> " + to + " (" + port + "); members " + ids);
        }
        return p;
    }

    /**
     * Nothing crosses between the sides (both directions, both ports; every member must be on one
     * side): connections across go on accepting writes that never arrive, as in a real partition.
     */
    @SafeVarargs
    public final void partition(Set<String>... sides) {
        Map<String, Integer> sideOf = new TreeMap<>();
        for (int i = 0; i < sides.length; i++) {
            for (String id : sides[i]) {
                if (sideOf.put(id, i) != null) {
                    throw new IllegalArgumentException(id + " is on two sides");
                }
            }
        }
        if (!sideOf.keySet().equals(new HashSet<>(ids))) {
            throw new IllegalArgumentException("sides " + List.of(sides) + " must hold every member of " + ids);
        }
        proxies.forEach((k, p) -> p.set(sideOf.get(k.from()).equals(sideOf.get(k.to())) ? LinkProxy.Mode.PASS : LinkProxy.Mode.BLACKHOLE));
    }

    /** {@code id} alone on one side, everyone else on the other. */
    public void isolate(String id) {
        Set<String> rest = new HashSet<>(ids);
        rest.remove(id);
        partition(Set.of(id), rest);
    }

    /**
     * Bytes {@code from} sends to {@code to} are lost, on every connection between them (those
     * {@code from} opened and those {@code to} opened); bytes {@code to} sends still arrive.
     */
    public void loseOneWay(String from, String to) {
        for (Port port : Port.values()) {
            link(from, to, port).set(LinkProxy.Direction.FORWARD, LinkProxy.Mode.BLACKHOLE);
            link(to, from, port).set(LinkProxy.Direction.BACKWARD, LinkProxy.Mode.BLACKHOLE);
        }
    }

    /** Adds {@code delay} to every chunk each way on every link touching {@code id}. */
    public void delay(String id, Duration delay) {
        proxies.forEach((k, p) -> {
            if (k.from().equals(id) || k.to().equals(id)) {
                p.delay(delay);
            }
        });
    }

    /** Every link passes again, without delay. */
    public void heal() {
        proxies.values().forEach(LinkProxy::heal);
    }

    @Override
    public void close() {
        proxies.values().forEach(LinkProxy::close);
    }
}
