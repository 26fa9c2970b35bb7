package io.muster.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Marker;

/**
 * Drops the lines jraft and bolt log for every failed heartbeat, connection attempt and replicator
 * check while a peer is down (issue 24: dozens of ERROR lines in 20 s from one dead member). A line
 * is dropped when its logger name starts with one of the configured {@code logger}s and its message
 * pattern contains one of the configured {@code message}s; everything else is left to the logger
 * levels. What the operator sees instead comes from {@code io.muster.server.raft.PeerReachability}:
 * one WARN when a peer becomes unreachable, one INFO when it is back, a reminder every 60 s, and the
 * {@code muster_peer_reachable} gauge.
 *
 * <p>Configured in the server's {@code logback.xml} (the application's logging, not a library's):
 * <pre>{@code
 * <turboFilter class="io.muster.server.logging.PeerConnectionNoiseFilter">
 *   <logger>com.alipay.sofa.jraft.core.Replicator</logger>
 *   <message>Fail to issue RPC</message>
 * </turboFilter>
 * }</pre>
 */
public final class PeerConnectionNoiseFilter extends TurboFilter {

    private final List<String> loggers = new ArrayList<>();
    private final List<String> messages = new ArrayList<>();
    private final AtomicLong dropped = new AtomicLong();

    /** A logger name prefix whose connection noise is dropped. */
    public void addLogger(String prefix) {
        loggers.add(prefix.trim());
    }

    /** A substring of the message patterns dropped (the pattern, before its arguments are filled in). */
    public void addMessage(String substring) {
        messages.add(substring.trim());
    }

    /** Lines dropped so far (for a test or a debugger; not exported). */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        // INFO and below are already off for these loggers; only look at what would be printed
        if (!isStarted() || level == null || !level.isGreaterOrEqual(Level.WARN) || !matchesLogger(logger.getName())) {
            return FilterReply.NEUTRAL;
        }
        String text = format != null ? format : (t != null ? String.valueOf(t.getMessage()) : null);
        if (text == null) {
            return FilterReply.NEUTRAL;
        }
        for (String m : messages) {
            if (text.contains(m)) {
                dropped.incrementAndGet();
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }

    private boolean matchesLogger(String name) {
        for (String prefix : loggers) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
