package io.muster.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.MoreExecutors;
import io.muster.testkit.UnitTest;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The client logs through {@code System.Logger}, which without an application's own finder goes to
 * java.util.logging under the class's name: an application configuring the {@code io.muster.client}
 * JUL loggers (or bridging JUL to SLF4J) sees the client's warnings, with their exception.
 */
@UnitTest
class AThrowingListenerIsLoggedAsAWarningThroughJulTest {

    @Test
    void theWarningAndItsExceptionReachTheJulLoggerOfTheClass() {
        // held strongly: JUL keeps its loggers only weakly
        Logger jul = Logger.getLogger(CallbackQueue.class.getName());
        List<LogRecord> records = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public synchronized void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(capture);
        try {
            CallbackQueue queue = new CallbackQueue(MoreExecutors.directExecutor(), "watch of shop/cart");
            IllegalStateException thrown = new IllegalStateException("listener bug");
            List<String> ran = new ArrayList<>();
            queue.add(() -> {
                throw thrown;
            });
            queue.add(() -> ran.add("second"));
            queue.drain();

            assertThat(ran).as("delivery goes on after the throwing listener").containsExactly("second");
            assertThat(records).hasSize(1);
            LogRecord r = records.get(0);
            assertThat(r.getLevel()).isEqualTo(Level.WARNING);
            assertThat(r.getLoggerName()).isEqualTo("io.muster.client.CallbackQueue");
            assertThat(r.getMessage()).isEqualTo("a listener of watch of shop/cart threw; delivery goes on");
            assertThat(r.getThrown()).isSameAs(thrown);
        } finally {
            jul.removeHandler(capture);
        }
    }
}
