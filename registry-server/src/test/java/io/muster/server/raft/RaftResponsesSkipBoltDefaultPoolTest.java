package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.rpc.InvokeCallback;
import com.alipay.sofa.jraft.rpc.RaftRpcServerFactory;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.RpcRequests;
import com.alipay.sofa.jraft.rpc.RpcServer;
import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;
import io.muster.testkit.ClusterTest;
import io.muster.testkit.FreePorts;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A Raft RPC response is handed from bolt's I/O thread straight to the caller's callback, not
 * through bolt's shared default pool first ({@link BoltDispatch}).
 */
@ClusterTest
class RaftResponsesSkipBoltDefaultPoolTest {

    @Test
    void aResponseReachesACallbackWithoutExecutorOnTheIoThread() throws Exception {
        BoltDispatch.install();
        Endpoint endpoint = new Endpoint("127.0.0.1", FreePorts.next());
        RpcServer server = RaftRpcServerFactory.createRaftRpcServer(endpoint);
        assertThat(server.init(null)).isTrue();
        RpcClient client = RpcFactoryHelper.rpcFactory().createRpcClient();
        try {
            assertThat(client.init(new RpcOptions())).isTrue();
            CompletableFuture<String> callbackThread = new CompletableFuture<>();
            RpcRequests.PingRequest ping = RpcRequests.PingRequest.newBuilder().setSendTimestamp(System.currentTimeMillis()).build();
            client.invokeAsync(endpoint, ping, new InvokeCallback() {
                @Override
                public void complete(Object result, Throwable err) {
                    if (err != null) {
                        callbackThread.completeExceptionally(err);
                    } else {
                        callbackThread.complete(Thread.currentThread().getName());
                    }
                }
            }, 5_000);
            // without BoltDispatch this is "Bolt-default-executor-…"
            assertThat(callbackThread.get(10, TimeUnit.SECONDS)).startsWith("bolt-netty-client-worker");
        } finally {
            client.shutdown();
            server.shutdown();
        }
    }
}
