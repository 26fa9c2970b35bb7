package io.muster.bench.gateway;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Cheap hot-spot report from a JFR recording of the gateway (no async-profiler needed): CPU samples
 * ({@code jdk.ExecutionSample}) by thread, by top-of-stack method (self), by method anywhere on the
 * stack (inclusive, counted once per sample), and by the innermost {@code io.muster} frame (which
 * gateway code the time is spent under); allocation samples of the event-loop threads by class, top
 * frame and innermost gateway frame; GC pauses. Only Java code is sampled: time in system calls
 * (socket reads/writes, epoll) does not show up here.
 *
 * <p>Single-file program, needs no build:
 *
 * <pre>{@code
 * java bench/src/main/java/io/muster/bench/gateway/JfrHotspots.java gateway.jfr [top=25] [threadPrefix=muster-gw-io]
 * }</pre>
 */
public final class JfrHotspots {

    private JfrHotspots() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: JfrHotspots FILE.jfr [top] [threadPrefix]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        String threadPrefix = args.length > 2 ? args[2] : "muster-gw-io";

        Map<String, Long> byThread = new HashMap<>();
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> inclusive = new HashMap<>();
        Map<String, Long> underGateway = new HashMap<>();
        Map<String, Long> allocTop = new HashMap<>();
        Map<String, Long> allocGateway = new HashMap<>();
        Map<String, Long> allocClass = new HashMap<>();
        Map<String, Long> allocGatewayCount = new HashMap<>();
        long samples = 0;
        long ioSamples = 0;
        long allocBytes = 0;
        long allocSamples = 0;
        long gcCount = 0;
        Duration gcPause = Duration.ZERO;
        Duration longestPause = Duration.ZERO;

        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            switch (type) {
                case "jdk.ExecutionSample" -> {
                    samples++;
                    String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
                    byThread.merge(threadGroup(thread), 1L, Long::sum);
                    if (thread == null || !thread.startsWith(threadPrefix)) {
                        continue;
                    }
                    ioSamples++;
                    RecordedStackTrace st = e.getStackTrace();
                    if (st == null || st.getFrames().isEmpty()) {
                        continue;
                    }
                    List<RecordedFrame> frames = st.getFrames();
                    self.merge(name(frames.get(0)), 1L, Long::sum);
                    Set<String> seen = new HashSet<>();
                    for (RecordedFrame f : frames) {
                        String n = name(f);
                        if (seen.add(n)) {
                            inclusive.merge(n, 1L, Long::sum);
                        }
                    }
                    underGateway.merge(innermostGateway(frames), 1L, Long::sum);
                }
                case "jdk.ObjectAllocationSample" -> {
                    String thread = e.getThread("eventThread") == null ? null : e.getThread("eventThread").getJavaName();
                    if (thread == null || !thread.startsWith(threadPrefix)) {
                        continue;
                    }
                    long weight = e.getLong("weight");
                    allocBytes += weight;
                    allocSamples++;
                    RecordedStackTrace st = e.getStackTrace();
                    String cls = e.getClass("objectClass") == null ? "?" : e.getClass("objectClass").getName();
                    allocClass.merge(cls, weight, Long::sum);
                    if (st != null && !st.getFrames().isEmpty()) {
                        allocTop.merge(name(st.getFrames().get(0)), weight, Long::sum);
                        allocGateway.merge(innermostGateway(st.getFrames()), weight, Long::sum);
                        allocGatewayCount.merge(innermostGateway(st.getFrames()), 1L, Long::sum);
                    }
                }
                case "jdk.GCPhasePause" -> {
                    gcCount++;
                    gcPause = gcPause.plus(e.getDuration());
                    if (e.getDuration().compareTo(longestPause) > 0) {
                        longestPause = e.getDuration();
                    }
                }
                default -> {
                    // not used
                }
            }
        }

        System.out.printf("%s: %d CPU samples, %d on %s* threads%n", file, samples, ioSamples, threadPrefix);
        print("CPU samples by thread", byThread, samples, top);
        print("self (top of stack), " + threadPrefix + "*", self, ioSamples, top);
        print("inclusive (anywhere on the stack), " + threadPrefix + "*", inclusive, ioSamples, top);
        print("by innermost io.muster frame (inclusive of what it calls), " + threadPrefix + "*", underGateway,
                ioSamples, top);
        // the weight of one sample is everything the thread allocated since its previous sample, so a few
        // samples taken after a throttled stretch can dominate: read the weights as rough, the counts as
        // where allocation happens often
        System.out.printf("%nallocation samples on %s* threads: %d samples, %.1f MB sampled weight%n", threadPrefix,
                allocSamples, allocBytes / 1e6);
        print("allocation samples by innermost io.muster frame (count)", allocGatewayCount, allocSamples, top);
        print("allocated bytes by class (weight, noisy)", allocClass, allocBytes, top);
        print("allocated bytes by top frame (weight, noisy)", allocTop, allocBytes, top);
        print("allocated bytes by innermost io.muster frame (weight, noisy)", allocGateway, allocBytes, top);
        System.out.printf("%nGC pauses: %d, total %d ms, longest %.1f ms%n", gcCount, gcPause.toMillis(),
                longestPause.toNanos() / 1e6);
    }

    private static String threadGroup(String thread) {
        if (thread == null) {
            return "?";
        }
        return thread.replaceAll("-\\d+(-\\d+)*$", "-N");
    }

    private static String innermostGateway(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            RecordedMethod m = f.getMethod();
            if (m != null && m.getType().getName().startsWith("io.muster.")) {
                return name(f);
            }
        }
        return "(no io.muster frame: netty / jdk only)";
    }

    private static String name(RecordedFrame f) {
        RecordedMethod m = f.getMethod();
        if (m == null) {
            return "?";
        }
        String type = m.getType().getName();
        return type.substring(type.lastIndexOf('.', type.lastIndexOf('.') - 1) + 1) + "." + m.getName();
    }

    private static void print(String title, Map<String, Long> counts, long total, int top) {
        System.out.printf("%n-- %s%n", title);
        List<Map.Entry<String, Long>> list = new ArrayList<>(counts.entrySet());
        list.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        for (int i = 0; i < Math.min(top, list.size()); i++) {
            Map.Entry<String, Long> en = list.get(i);
            System.out.printf("%6.1f%%  %10d  %s%n", total == 0 ? 0 : 100.0 * en.getValue() / total, en.getValue(),
                    en.getKey());
        }
    }
}
