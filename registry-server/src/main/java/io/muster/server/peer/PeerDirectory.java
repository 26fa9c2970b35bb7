package io.muster.server.peer;

import io.muster.api.v1.Member;
import io.muster.server.catalog.Catalog;
import io.muster.server.config.HostPort;
import io.muster.server.config.PeerSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Member addresses: the replicated directory first, then the static peers from the configuration.
 * Replicated entries enter only through the Raft log, proposed by a member's own components (the
 * leader's reconciliation with its configuration, the Cluster admin calls); no peer call can write
 * one (see {@code InternalService}).
 */
public final class PeerDirectory {
    private final Catalog catalog;
    private final List<PeerSpec> configured;

    public PeerDirectory(Catalog catalog, List<PeerSpec> configured) {
        this.catalog = catalog;
        this.configured = List.copyOf(configured);
    }

    /** Every known member by id (replicated entries win). */
    public Map<String, Member> all() {
        Map<String, Member> out = new LinkedHashMap<>();
        for (PeerSpec p : configured) {
            out.put(p.id(), Member.newBuilder().setId(p.id()).setRaftAddress(p.raftAddress()).setGrpcAddress(p.grpcAddress()).setPeerAddress(p.peerAddress()).build());
        }
        for (Member m : catalog.read(Catalog.View::members)) {
            out.put(m.getId(), m);
        }
        return out;
    }

    public Optional<Member> byRaftAddress(String raftAddress) {
        if (raftAddress == null) {
            return Optional.empty();
        }
        return all().values().stream().filter(m -> m.getRaftAddress().equals(raftAddress)).findFirst();
    }

    /**
     * The member whose Raft address is {@code host:port} (host as the address writes it, compared
     * without case; an IPv6 literal with or without brackets): whom a Raft connection to that
     * address must reach.
     */
    public Optional<String> idAtRaftAddress(String host, int port) {
        String wanted = unbracket(host);
        for (Member m : all().values()) {
            try {
                HostPort a = HostPort.parse("raft address of " + m.getId(), m.getRaftAddress());
                if (a.port() == port && unbracket(a.host()).equalsIgnoreCase(wanted)) {
                    return Optional.of(m.getId());
                }
            } catch (IllegalArgumentException e) {
                // an entry without a usable Raft address is nobody's at any address
            }
        }
        return Optional.empty();
    }

    private static String unbracket(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    public Optional<Member> byId(String id) {
        return Optional.ofNullable(all().get(id));
    }

    /** The member's peer listener, or empty when its entry has none that parses (e.g. written before peer addresses existed). */
    public static Optional<HostPort> peerAddress(Member m) {
        if (m.getPeerAddress().isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(HostPort.parse("peer address of " + m.getId(), m.getPeerAddress()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
