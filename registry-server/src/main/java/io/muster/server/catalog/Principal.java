package io.muster.server.catalog;

import java.util.List;
import java.util.Objects;

/**
 * What one token may do: the union of its policies' rules, compiled when the ACL state changes.
 *
 * @param accessorId the token's public half
 * @param operator   membership, leadership, backups, status, ACL management
 * @param read       where it may read (WRITE rules included)
 * @param write      where it may write
 */
public record Principal(String accessorId, boolean operator, List<Grant> read, List<Grant> write) {

    /**
     * One rule's reach: the services starting with {@code prefix} ({@code ""}: every service) in
     * {@code namespace} ({@link Namespaces#ALL}: every namespace).
     */
    public record Grant(String namespace, String prefix) {
        public Grant {
            Objects.requireNonNull(prefix, "prefix");
            namespace = Namespaces.of(namespace);
        }

        boolean covers(String ns, String service) {
            return (namespace.equals(Namespaces.ALL) || namespace.equals(ns)) && service.startsWith(prefix);
        }

        @Override
        public String toString() {
            return namespace + "/" + prefix + "*";
        }
    }

    public Principal {
        read = List.copyOf(read);
        write = List.copyOf(write);
    }

    public boolean canRead(String namespace, String service) {
        return matches(read, Namespaces.of(namespace), service);
    }

    public boolean canWrite(String namespace, String service) {
        return matches(write, Namespaces.of(namespace), service);
    }

    /** Whether every service of every namespace is readable (a Watch of everything needs no filtering). */
    public boolean readsEverything() {
        return read.contains(new Grant(Namespaces.ALL, ""));
    }

    private static boolean matches(List<Grant> grants, String namespace, String service) {
        for (int i = 0; i < grants.size(); i++) {
            if (grants.get(i).covers(namespace, service)) {
                return true;
            }
        }
        return false;
    }
}
