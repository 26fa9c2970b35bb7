package io.muster.client;

import java.util.Objects;

/**
 * Namespace names as the registry accepts them: a DNS label, 1-63 chars of [a-z0-9-] starting and
 * ending with [a-z0-9]. {@link #DEFAULT} holds every instance registered without a namespace
 * (every instance of a registry that predates namespaces).
 */
public final class Namespaces {

    /** The namespace of a request that names none. */
    public static final String DEFAULT = "default";
    /** Every namespace, where a call allows it (a watch, a listing). */
    public static final String ALL = "*";
    public static final String RULE = "1-63 chars of [a-z0-9-], starting and ending with [a-z0-9]";

    private Namespaces() {
    }

    /** {@code namespace} if it is a namespace name, else IllegalArgumentException naming {@code field} and the allowed form. */
    public static String check(String field, String namespace) {
        Objects.requireNonNull(namespace, field);
        int n = namespace.length();
        boolean ok = n >= 1 && n <= 63 && lowerAlnum(namespace.charAt(0)) && lowerAlnum(namespace.charAt(n - 1));
        for (int i = 1; ok && i < n - 1; i++) {
            ok = lowerAlnum(namespace.charAt(i)) || namespace.charAt(i) == '-';
        }
        if (!ok) {
            throw new IllegalArgumentException(field + ": '" + namespace + "' (expected: " + RULE + ")");
        }
        return namespace;
    }

    private static boolean lowerAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }
}
