package io.muster.server.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One member's addresses: {@code id=raftHost:raftPort/grpcHost:grpcPort}, e.g.
 * {@code n1=127.0.0.1:7001/127.0.0.1:9001}.
 */
public record PeerSpec(String id, String raftAddress, String grpcAddress) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    public PeerSpec {
        Objects.requireNonNull(id, "id");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("node id: '" + id + "' (expected: [A-Za-z0-9][A-Za-z0-9_.-]{0,62})");
        }
        checkHostPort("raft address of " + id, raftAddress);
        checkHostPort("grpc address of " + id, grpcAddress);
    }

    public static void checkHostPort(String what, String address) {
        if (address == null) {
            throw new IllegalArgumentException(what + ": missing (expected: host:port)");
        }
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(what + ": '" + address + "' (expected: host:port)");
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": '" + address + "' (expected: host:port with port 1-65535)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + ": port " + port + " (expected: 1-65535)");
        }
    }

    public static PeerSpec parse(String spec) {
        int eq = spec.indexOf('=');
        int slash = spec.indexOf('/');
        if (eq <= 0 || slash < eq) {
            throw new IllegalArgumentException("peer: '" + spec + "' (expected: id=raftHost:raftPort/grpcHost:grpcPort)");
        }
        return new PeerSpec(spec.substring(0, eq).trim(), spec.substring(eq + 1, slash).trim(), spec.substring(slash + 1).trim());
    }

    /** Parses a comma-separated list. */
    public static List<PeerSpec> parseList(String specs) {
        List<PeerSpec> out = new ArrayList<>();
        if (specs == null || specs.isBlank()) {
            return out;
        }
        for (String s : specs.split(",")) {
            if (!s.isBlank()) {
                out.add(parse(s.trim()));
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return id + "=" + raftAddress + "/" + grpcAddress;
    }
}
