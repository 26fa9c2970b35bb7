package io.muster.server.raft;

import com.alipay.sofa.jraft.util.SPI;
import com.alipay.sofa.jraft.util.timer.DefaultRaftTimerFactory;
import com.alipay.sofa.jraft.util.timer.DefaultTimer;
import com.alipay.sofa.jraft.util.timer.Timer;

/**
 * jraft's timers (election, vote, step-down, snapshot, ReadIndex timeouts) on threads that sleep
 * until the next deadline, instead of hashed wheels that tick every millisecond.
 *
 * <p>jraft's default factory gives each of a node's four timers its own {@code HashedWheelTimer}
 * with a 1 ms tick: 4,000 thread wake-ups a second per node whether anything is due or not. On the
 * 2-core machine the benchmarks run on, those wake-ups cost 1.4–2.2 % of a core per running timer
 * (~15 % for a 3-node cluster, measured per thread from {@code /proc}) and preempt the threads that
 * do real work. The timers here are jraft's own {@link DefaultTimer} (a one-thread
 * {@code ScheduledThreadPoolExecutor}): a thread wakes when a timeout is due, which for a Raft
 * node is a few times per election timeout. Deadlines are also exact rather than rounded to a tick.
 *
 * <p>Found by jraft's {@code JRaftServiceLoader} through
 * {@code META-INF/services/com.alipay.sofa.jraft.util.timer.RaftTimerFactory}; the higher
 * {@link SPI#priority()} makes it win over the default. Shared timers and the scheduler are the
 * default factory's.
 */
@SPI(priority = 100)
public final class WakeOnDeadlineTimerFactory extends DefaultRaftTimerFactory {

    @Override
    public Timer createTimer(String name) {
        return new DefaultTimer(1, name);
    }
}
