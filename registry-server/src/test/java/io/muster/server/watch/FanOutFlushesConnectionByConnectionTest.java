package io.muster.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.Instance;
import io.muster.api.v1.WatchResponse;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.RegisterCmd;
import io.muster.server.catalog.Catalog;
import io.muster.testkit.UnitTest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * On an event loop the fan-out serves one connection at a time and lets that connection's flush
 * (which the transport queues on the loop with its first message, as grpc-netty's WriteQueue does)
 * run before it builds the next connection's messages.
 */
@UnitTest
class FanOutFlushesConnectionByConnectionTest {

    /** A single-threaded loop the test runs by hand. */
    static final class ManualLoop implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        void runAll() {
            for (Runnable t = tasks.poll(); t != null; t = tasks.poll()) {
                t.run();
            }
        }
    }

    /** The transport of one connection: the first message after a flush queues the next flush on the loop. */
    static final class Connection {
        final String name;
        final ManualLoop loop;
        final List<String> log;
        boolean flushQueued;

        Connection(String name, ManualLoop loop, List<String> log) {
            this.name = name;
            this.loop = loop;
            this.log = log;
        }

        void write(long revision) {
            log.add("send " + name + " " + revision);
            if (!flushQueued) {
                flushQueued = true;
                loop.execute(() -> {
                    flushQueued = false;
                    log.add("flush " + name);
                });
            }
        }
    }

    record Stream(Connection transport) implements WatchSink {
        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void send(WatchResponse response) {
            if (response.getKind() == WatchResponse.Kind.EVENTS) {
                transport.write(response.getRevision());
            }
        }

        @Override
        public void complete() {
        }

        @Override
        public Executor executor() {
            return transport.loop;
        }

        @Override
        public Object connection() {
            return transport.name;
        }
    }

    final Catalog catalog = new Catalog();
    final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    final WatchHub hub = new WatchHub(catalog, 1024, Runnable::run, 1, scheduler, System::nanoTime, "n1", 100);

    @AfterEach
    void stop() {
        hub.close();
        scheduler.shutdownNow();
    }

    void register(String id) {
        catalog.apply(Command.newBuilder().setNowMs(1000).setRegister(RegisterCmd.newBuilder().setInstance(
                Instance.newBuilder().setService("svc").setId(id).setHost("h").setPort(1).setLeaseTtlMs(5000))).build());
    }

    @Test
    void eachConnectionIsFlushedBeforeTheNextConnectionsMessagesAreBuilt() {
        catalog.addListener(hub);
        ManualLoop loop = new ManualLoop();
        List<String> log = new ArrayList<>();
        Connection a = new Connection("A", loop, log);
        Connection b = new Connection("B", loop, log);
        for (int i = 0; i < 4; i++) {
            hub.open("default", Set.of("svc"), 1, 60_000, new Stream(i % 2 == 0 ? a : b));
            hub.open("*", Set.of(), 1, 60_000, new Stream(i % 2 == 0 ? b : a));
        }
        loop.runAll(); // the watchers' first drains (nothing to send yet)
        assertThat(log).isEmpty();
        for (int n = 1; n <= 3; n++) {
            int event = n;
            register("i" + event);
            loop.runAll();

            List<String> sends = log.stream().filter(s -> s.startsWith("send")).toList();
            assertThat(sends).as("event %d reaches all 8 watchers", event).hasSize(8)
                    .allSatisfy(s -> assertThat(s).endsWith(" " + event));
            String first = sends.get(0).split(" ")[1];
            String second = first.equals("A") ? "B" : "A";
            // the first connection's four messages, its flush, then the second's, its flush
            assertThat(log).containsExactly(
                    "send " + first + " " + event, "send " + first + " " + event, "send " + first + " " + event,
                    "send " + first + " " + event, "flush " + first,
                    "send " + second + " " + event, "send " + second + " " + event, "send " + second + " " + event,
                    "send " + second + " " + event, "flush " + second);
            log.clear();
        }
    }
}
