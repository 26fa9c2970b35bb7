package io.muster.server.catalog;

import java.util.List;

/**
 * What one token may do: the union of its policies' rules, compiled when the ACL state changes.
 *
 * @param accessorId    the token's public half
 * @param operator      membership, leadership, backups, status, ACL management
 * @param readPrefixes  service-name prefixes it may read ({@code ""}: every service); WRITE rules included
 * @param writePrefixes service-name prefixes it may write
 */
public record Principal(String accessorId, boolean operator, List<String> readPrefixes, List<String> writePrefixes) {

    public Principal {
        readPrefixes = List.copyOf(readPrefixes);
        writePrefixes = List.copyOf(writePrefixes);
    }

    public boolean canRead(String service) {
        return matches(readPrefixes, service);
    }

    public boolean canWrite(String service) {
        return matches(writePrefixes, service);
    }

    /** Whether every service is readable (a Watch of everything needs no filtering). */
    public boolean readsEverything() {
        return readPrefixes.contains("");
    }

    private static boolean matches(List<String> prefixes, String service) {
        for (int i = 0; i < prefixes.size(); i++) {
            if (service.startsWith(prefixes.get(i))) {
                return true;
            }
        }
        return false;
    }
}
