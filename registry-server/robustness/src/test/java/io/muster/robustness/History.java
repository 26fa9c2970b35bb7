package io.muster.robustness;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Every operation the clients of a run made, in the order they completed. Thread-safe. */
public final class History {

    private final List<Op> ops = new ArrayList<>();

    public synchronized void add(Op op) {
        ops.add(op);
    }

    public synchronized List<Op> ops() {
        return List.copyOf(ops);
    }

    public synchronized int size() {
        return ops.size();
    }

    /** The operations of each service (the model is per service, so each is checked on its own). */
    public synchronized Map<String, List<Op>> byService() {
        return ops.stream().collect(Collectors.groupingBy(Op::service, TreeMap::new, Collectors.toList()));
    }

    /** How many operations of each kind ended how, e.g. {@code REGISTER OK=...}. */
    public synchronized Map<String, Long> counts() {
        return ops.stream().collect(Collectors.groupingBy(o -> o.kind() + " " + o.outcome(), TreeMap::new, Collectors.counting()));
    }
}
