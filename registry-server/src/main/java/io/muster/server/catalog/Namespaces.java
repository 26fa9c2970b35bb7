package io.muster.server.catalog;

/**
 * The namespace rules. A namespace is a DNS label; the empty string is the namespace {@code default},
 * so every request, log entry and snapshot written before namespaces (proto3 leaves the field empty)
 * is read as {@code default}. {@code *} names every namespace where a request allows it (a watch or
 * a listing, an ACL rule), never an instance's namespace.
 */
public final class Namespaces {

    public static final String DEFAULT = "default";
    /** Every namespace: in a Watch or ListServices request and in an ACL rule. */
    public static final String ALL = "*";
    public static final String RULE = "empty (\"default\") or 1-63 chars of [a-z0-9-], starting and ending with [a-z0-9]";
    public static final String RULE_OR_ALL = RULE + ", or \"*\" (every namespace)";

    private Namespaces() {
    }

    /** The namespace {@code ns} names: {@link #DEFAULT} for the empty string. Not validated. */
    public static String of(String ns) {
        return ns.isEmpty() ? DEFAULT : ns;
    }

    /** 1-63 chars of [a-z0-9-], starting and ending with [a-z0-9]; without a regex engine (runs on every call). */
    public static boolean isName(String s) {
        int n = s.length();
        if (n < 1 || n > 63 || !lowerAlnum(s.charAt(0)) || !lowerAlnum(s.charAt(n - 1))) {
            return false;
        }
        for (int i = 1; i < n - 1; i++) {
            char c = s.charAt(i);
            if (!lowerAlnum(c) && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** The namespace a request or command names ({@link #DEFAULT} for empty), or a rejection naming {@code field}. */
    public static String check(String field, String ns) {
        if (ns == null || !(ns.isEmpty() || isName(ns))) {
            throw Rules.invalid(field, "'" + ns + "'", RULE);
        }
        return of(ns);
    }

    /** As {@link #check}, and {@link #ALL} is allowed. */
    public static String checkOrAll(String field, String ns) {
        if (ALL.equals(ns)) {
            return ALL;
        }
        if (ns == null || !(ns.isEmpty() || isName(ns))) {
            throw Rules.invalid(field, "'" + ns + "'", RULE_OR_ALL);
        }
        return of(ns);
    }

    private static boolean lowerAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }
}
