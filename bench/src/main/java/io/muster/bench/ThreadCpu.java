package io.muster.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CPU time per thread of a JVM, read from its thread dump ({@code jcmd Thread.print}: JDK 11+ prints
 * {@code cpu=...ms} per thread). Two samples give where a phase's CPU went, e.g. how much of a member's
 * CPU per registration is the Raft apply thread ({@code JRaft-FSMCaller-Disruptor}).
 */
final class ThreadCpu {

    private static final Pattern LINE = Pattern.compile("(?m)^\"(.+?)\" .*?cpu=([0-9.]+)ms");

    private ThreadCpu() {
    }

    /** Thread name → CPU ms so far; threads with one name (digits folded to #) are summed. */
    static Map<String, Double> sample(long pid) throws IOException, InterruptedException {
        Map<String, Double> out = new HashMap<>();
        Matcher m = LINE.matcher(MemberFootprintBench.jcmd(pid, "Thread.print"));
        while (m.find()) {
            out.merge(m.group(1).replaceAll("\\d+", "#"), Double.parseDouble(m.group(2)), Double::sum);
        }
        return out;
    }

    /** The {@code top} thread groups by CPU between two samples, busiest first, as "name ms". */
    static List<Map.Entry<String, Double>> top(Map<String, Double> before, Map<String, Double> after, int top) {
        List<Map.Entry<String, Double>> delta = new ArrayList<>();
        after.forEach((k, v) -> delta.add(Map.entry(k, v - before.getOrDefault(k, 0.0))));
        delta.sort(Map.Entry.<String, Double>comparingByValue().reversed());
        return delta.subList(0, Math.min(top, delta.size()));
    }

    /** CPU ms between two samples of the threads whose folded name contains {@code part}. */
    static double of(Map<String, Double> before, Map<String, Double> after, String part) {
        double sum = 0;
        for (Map.Entry<String, Double> e : after.entrySet()) {
            if (e.getKey().contains(part)) {
                sum += e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            }
        }
        return sum;
    }
}
