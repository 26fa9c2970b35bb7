package io.muster.server.config;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One member's addresses: {@code id=raftHost:raftPort/grpcHost:grpcPort/peerHost:peerPort}, e.g.
 * {@code n1=127.0.0.1:7001/127.0.0.1:9001/127.0.0.1:7101}. The gRPC address is the client API; the
 * peer address is the member-to-member listener (forwarded writes, liveness, internal proposals),
 * a separate surface that clients never reach.
 */
public record PeerSpec(String id, String raftAddress, String grpcAddress, String peerAddress) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    static final String FORMAT = "id=raftHost:raftPort/grpcHost:grpcPort/peerHost:peerPort";

    public PeerSpec {
        Objects.requireNonNull(id, "id");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("node id: '" + id + "' (expected: [A-Za-z0-9][A-Za-z0-9_.-]{0,62})");
        }
        checkHostPort("raft address of " + id, raftAddress);
        checkHostPort("grpc address of " + id, grpcAddress);
        checkHostPort("peer address of " + id, peerAddress);
        if (raftAddress.equals(grpcAddress) || raftAddress.equals(peerAddress) || grpcAddress.equals(peerAddress)) {
            throw new IllegalArgumentException("addresses of " + id + ": raft " + raftAddress + ", grpc " + grpcAddress
                    + ", peer " + peerAddress + " (expected: three different host:port)");
        }
    }

    public static void checkHostPort(String what, String address) {
        if (address == null) {
            throw new IllegalArgumentException(what + ": missing (expected: host:port)");
        }
        HostPort.parse(what, address);
    }

    public static PeerSpec parse(String spec) {
        int eq = spec.indexOf('=');
        String[] parts = eq <= 0 ? new String[0] : spec.substring(eq + 1).split("/", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("peer: '" + spec + "' (expected: " + FORMAT + ")");
        }
        return new PeerSpec(spec.substring(0, eq).trim(), parts[0].trim(), parts[1].trim(), parts[2].trim());
    }

    @Override
    public String toString() {
        return id + "=" + raftAddress + "/" + grpcAddress + "/" + peerAddress;
    }
}
