package io.muster.robustness;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether the history of one service is linearizable against the model "instances of a
 * service" (instance id to the port last registered): a register puts, a deregister removes, a
 * linearizable discover must see exactly the current map. The algorithm is Wing and Gong's search
 * with Lowe's memoization, as in Porcupine (github.com/anishathalye/porcupine, {@code checker.go}):
 * walk the calls and returns in time order, linearize a call whose step the model accepts, and
 * backtrack at a return that was not linearized yet; a (set of linearized operations, model
 * state) pair seen before is not explored again.
 *
 * <p>An operation of {@link Op.Outcome#UNKNOWN} outcome returns "never": it may take effect at any
 * point after its invocation. {@link Op.Outcome#FAILED} reads and LOCAL reads are not part of the
 * linearizable history (LOCAL reads may be stale by design; they are checked elsewhere).
 *
 * <p>The search is exponential in the worst case: it gives up after {@code maxSteps} and answers
 * {@link Verdict#INCONCLUSIVE} rather than run for ever. Keep each service's history small (the
 * traffic moves on to fresh services over time).
 */
public final class LinearizabilityChecker {

    /** The answer for one history. */
    public enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, INCONCLUSIVE }

    /** The verdict, and for a violation the longest prefix that could be linearized. */
    public record Result(Verdict verdict, int operations, long steps, List<Op> longestLinearized, List<Op> pending) {
    }

    private final long maxSteps;

    public LinearizabilityChecker(long maxSteps) {
        if (maxSteps <= 0) {
            throw new IllegalArgumentException("maxSteps: " + maxSteps + " (expected: > 0)");
        }
        this.maxSteps = maxSteps;
    }

    /** One call or return, a node of the doubly linked list the search lifts entries out of. */
    private static final class Entry {
        final boolean call;
        final int id;
        final Op op;
        final long time;
        Entry match; // a call's return
        Entry prev;
        Entry next;

        Entry(boolean call, int id, Op op, long time) {
            this.call = call;
            this.id = id;
            this.op = op;
            this.time = time;
        }
    }

    private record Memo(BitSet linearized, Map<String, Integer> state) {
    }

    private record Frame(Entry call, Map<String, Integer> stateBefore) {
    }

    /** Checks the operations of one service (any order). */
    public Result check(List<Op> serviceOps) {
        List<Op> ops = serviceOps.stream()
                .filter(o -> o.isWrite() || (o.kind() == Op.Kind.DISCOVER && o.outcome() == Op.Outcome.OK))
                .toList();
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            Op o = ops.get(i);
            Entry call = new Entry(true, i, o, o.invokedNanos());
            Entry ret = new Entry(false, i, o, o.outcome() == Op.Outcome.OK ? o.completedNanos() : Long.MAX_VALUE);
            call.match = ret;
            entries.add(call);
            entries.add(ret);
        }
        // by time; at the same instant a call goes first (the two operations overlap: the permissive reading)
        entries.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> e.call ? 0 : 1));
        Entry head = new Entry(false, -1, null, Long.MIN_VALUE);
        Entry last = head;
        for (Entry e : entries) {
            last.next = e;
            e.prev = last;
            last = e;
        }

        Map<String, Integer> state = Map.of();
        BitSet linearized = new BitSet(ops.size());
        Set<Memo> seen = new HashSet<>();
        Deque<Frame> calls = new ArrayDeque<>();
        List<Op> longest = List.of();
        long steps = 0;
        Entry entry = head.next;
        while (head.next != null) {
            if (++steps > maxSteps) {
                return new Result(Verdict.INCONCLUSIVE, ops.size(), steps, longest, List.of());
            }
            if (entry.call) {
                Map<String, Integer> next = step(state, entry.op);
                if (next != null) {
                    BitSet after = (BitSet) linearized.clone();
                    after.set(entry.id);
                    if (seen.add(new Memo(after, next))) {
                        calls.push(new Frame(entry, state));
                        state = next;
                        linearized.set(entry.id);
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            } else {
                // a return whose call is still in the list: nothing linearizable before it; backtrack
                if (calls.size() > longest.size()) {
                    List<Op> prefix = new ArrayList<>(calls.stream().map(f -> f.call().op).toList());
                    java.util.Collections.reverse(prefix); // the stack's top is the latest
                    longest = prefix;
                }
                if (calls.isEmpty()) {
                    List<Op> pending = new ArrayList<>();
                    for (Entry e = head.next; e != null; e = e.next) {
                        if (e.call) {
                            pending.add(e.op);
                        }
                    }
                    return new Result(Verdict.NOT_LINEARIZABLE, ops.size(), steps, longest, pending);
                }
                Frame top = calls.pop();
                state = top.stateBefore();
                linearized.clear(top.call().id);
                unlift(top.call());
                entry = top.call().next;
            }
        }
        return new Result(Verdict.LINEARIZABLE, ops.size(), steps, List.of(), List.of());
    }

    /** The model: the state after {@code op}, or null if {@code op} cannot happen in {@code state}. */
    static Map<String, Integer> step(Map<String, Integer> state, Op op) {
        return switch (op.kind()) {
            case REGISTER -> {
                Map<String, Integer> m = new HashMap<>(state);
                m.put(op.id(), op.port());
                yield Map.copyOf(m);
            }
            case DEREGISTER -> {
                if (!state.containsKey(op.id())) {
                    yield state;
                }
                Map<String, Integer> m = new HashMap<>(state);
                m.remove(op.id());
                yield Map.copyOf(m);
            }
            case DISCOVER -> op.observed().equals(state) ? state : null;
            case DISCOVER_LOCAL -> throw new IllegalArgumentException("LOCAL reads are not in the linearizable history: " + op);
        };
    }

    private static void lift(Entry call) {
        call.prev.next = call.next;
        if (call.next != null) {
            call.next.prev = call.prev;
        }
        Entry ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) {
            ret.next.prev = ret.prev;
        }
    }

    private static void unlift(Entry call) {
        Entry ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null) {
            call.next.prev = call;
        }
    }
}
