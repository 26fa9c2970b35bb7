package io.muster.server.raft;

import com.alipay.remoting.Protocol;
import com.alipay.remoting.ProtocolCode;
import com.alipay.remoting.ProtocolManager;
import com.alipay.remoting.rpc.protocol.RpcCommandCode;
import com.alipay.remoting.rpc.protocol.RpcProtocol;
import com.alipay.remoting.rpc.protocol.RpcProtocolV2;
import com.alipay.remoting.rpc.protocol.RpcResponseProcessor;
import com.google.common.util.concurrent.MoreExecutors;
import java.util.concurrent.ExecutorService;

/**
 * Takes one thread hand-off off every Raft round trip in this JVM.
 *
 * <p>jraft's transport (SOFABolt) hands each response it reads, and each batch of requests read in
 * one go, from the connection's I/O thread to a shared "Bolt-default-executor" pool, which then hands
 * the response to the caller's callback executor (jraft's append-entries threads for replication).
 * Under load that pool wakes once per AppendEntries and heartbeat response, and each wake-up waits
 * for a core on a busy machine, while the work it does is small: look up the call, cancel its
 * timeout, submit the callback. That now runs on the I/O thread; the callback still runs on the
 * executor jraft gave it (jraft always gives one). What it saves: docs/benchmarks.md, "Figures
 * behind choices in the code".
 *
 * <p>Process-wide (bolt's protocols are static) and idempotent: called by {@code Main}, the
 * composition root, before the node starts, when {@code raft-inline-dispatch} is on (the default;
 * docs/architecture.md, "Process-wide settings"), and by tests that want the same dispatch. Never by
 * a node: a library must not change bolt for every other user in the JVM.
 */
public final class BoltDispatch {

    private static boolean installed;

    private BoltDispatch() {
    }

    public static synchronized void install() {
        if (installed) {
            return;
        }
        ExecutorService inline = MoreExecutors.newDirectExecutorService();
        for (byte code : new byte[] {RpcProtocol.PROTOCOL_CODE, RpcProtocolV2.PROTOCOL_CODE}) {
            Protocol protocol = protocol(code);
            protocol.getCommandHandler().registerProcessor(RpcCommandCode.RPC_RESPONSE, new RpcResponseProcessor(inline));
        }
        installed = true;
    }

    private static Protocol protocol(byte code) {
        Protocol p = ProtocolManager.getProtocol(ProtocolCode.fromBytes(code));
        if (p == null) {
            // bolt registers its protocols when its remoting class initializes
            try {
                Class.forName("com.alipay.remoting.rpc.RpcRemoting", true, BoltDispatch.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("bolt is not on the class path", e);
            }
            p = ProtocolManager.getProtocol(ProtocolCode.fromBytes(code));
        }
        if (p == null) {
            throw new IllegalStateException("bolt protocol " + code + " is not registered");
        }
        return p;
    }
}
