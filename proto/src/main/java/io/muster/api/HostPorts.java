package io.muster.api;

import com.google.common.net.HostAndPort;

/**
 * {@code host:port} as Muster writes addresses: a port of 1-65535 is required, an IPv6 host is in
 * brackets ({@code [::1]:9001}). Parsed by Guava's {@link HostAndPort}; the checks here are the ones
 * it leaves to its callers.
 */
public final class HostPorts {

    /** What a valid address looks like, for error messages. */
    public static final String EXPECTED = "host:port with a port of 1-65535, an IPv6 host in brackets";

    private HostPorts() {
    }

    /**
     * Parses {@code address}.
     *
     * @param field names the value in the error, e.g. {@code "targets[0]"}
     * @throws IllegalArgumentException {@code field: 'address' (expected: host:port ...)}
     */
    public static HostAndPort parse(String field, String address) {
        HostAndPort hp = null;
        if (address != null && !address.isEmpty() && address.chars().noneMatch(c -> c <= ' ' || c == 0x7f)) {
            try {
                hp = HostAndPort.fromString(address);
            } catch (IllegalArgumentException e) {
                hp = null;
            }
        }
        if (hp == null || hp.getHost().isEmpty() || !hp.hasPort() || hp.getPort() < 1 || hp.getPort() > 65535
                || (hp.getHost().indexOf(':') >= 0 && !address.startsWith("["))) {
            throw new IllegalArgumentException(field + ": '" + address + "' (expected: " + EXPECTED + ")");
        }
        return hp;
    }
}
