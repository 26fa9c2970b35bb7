package io.muster.robustness;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** The history checks that are not the linearizability search. */
final class Validators {

    private Validators() {
    }

    /**
     * Validator 2. Lost: for each instance (service, id) whose last write did not overlap any other
     * write of it and was acknowledged, the converged catalog must show that write (the port it
     * registered, or no instance after a deregister). Half: every instance any read returned, and
     * every instance in the catalog, carries a port that some register of that instance wrote (a
     * write of unknown outcome is applied whole or not at all).
     */
    static List<String> lostOrHalfWrites(History history, Map<String, Map<String, String>> catalog) {
        List<String> violations = new ArrayList<>();
        Map<String, List<Op>> writesByInstance = history.ops().stream().filter(Op::isWrite)
                .collect(Collectors.groupingBy(o -> o.service() + "/" + o.id()));
        Map<String, Set<Integer>> written = new java.util.HashMap<>();
        writesByInstance.forEach((key, writes) -> written.put(key, writes.stream().filter(w -> w.kind() == Op.Kind.REGISTER)
                .map(Op::port).collect(Collectors.toCollection(HashSet::new))));
        for (var e : writesByInstance.entrySet()) {
            List<Op> writes = e.getValue();
            Op last = writes.stream().max(java.util.Comparator.comparingLong(Op::invokedNanos)).orElseThrow();
            boolean alone = writes.stream().filter(w -> w != last)
                    .allMatch(w -> w.outcome() == Op.Outcome.OK && w.completedNanos() < last.invokedNanos());
            if (!alone || last.outcome() != Op.Outcome.OK) {
                continue;
            }
            String[] key = e.getKey().split("/", 2);
            String now = catalog.getOrDefault(key[0], Map.of()).get(key[1]);
            Integer port = now == null ? null : Integer.valueOf(now.substring(0, now.indexOf('/')));
            if (last.kind() == Op.Kind.REGISTER && !Integer.valueOf(last.port()).equals(port)) {
                violations.add("lost: " + last + " but the catalog has " + e.getKey() + " = " + now);
            } else if (last.kind() == Op.Kind.DEREGISTER && port != null) {
                violations.add("lost: " + last + " but the catalog still has " + e.getKey() + " = " + now);
            }
        }
        for (Op read : history.ops()) {
            if (read.isWrite() || read.outcome() != Op.Outcome.OK) {
                continue;
            }
            read.observed().forEach((id, port) -> {
                Set<Integer> ports = written.get(read.service() + "/" + id);
                if (!read.service().equals(Traffic.LEASED) && (ports == null || !ports.contains(port))) {
                    violations.add("half or invented: " + read + " shows " + id + ":" + port + ", which no register wrote");
                }
            });
        }
        catalog.forEach((service, instances) -> {
            if (service.equals(Traffic.LEASED)) {
                return;
            }
            instances.forEach((id, value) -> {
                int port = Integer.parseInt(value.substring(0, value.indexOf('/')));
                Set<Integer> ports = written.get(service + "/" + id);
                if (ports == null || !ports.contains(port)) {
                    violations.add("half or invented: the catalog has " + service + "/" + id + ":" + port + ", which no register wrote");
                }
            });
        });
        return violations;
    }

    /**
     * Validator 5's second half: the members' answers (each one's revision and its local catalog,
     * in the same order) show one revision and one catalog; returns that catalog, or null while
     * they differ (the suite waits for it, then fails).
     */
    static Map<String, Map<String, String>> converged(List<Long> revisions, List<Map<String, Map<String, String>>> catalogs) {
        if (revisions.isEmpty() || revisions.size() != catalogs.size()) {
            return null;
        }
        return new HashSet<>(revisions).size() == 1 && new HashSet<>(catalogs).size() == 1 ? catalogs.get(0) : null;
    }
}
