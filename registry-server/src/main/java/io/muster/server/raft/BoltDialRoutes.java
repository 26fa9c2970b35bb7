package io.muster.server.raft;

import com.alipay.remoting.Url;
import com.alipay.remoting.rpc.RpcAddressParser;
import java.lang.ref.SoftReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Makes this JVM's Raft transport dial another address for a member's Raft address, for
 * fault-injection tests: a test puts a proxy it controls on every link between members and cuts,
 * delays or blackholes it, while jraft still knows each member by its own address (a jraft peer's
 * identity is its address, so the peers cannot simply be configured with the proxy addresses).
 *
 * <p>How: bolt resolves an address string through {@link Url#parsedUrls}, a process-wide table it
 * fills itself and consults first; an entry put there for the member's address names the proxy.
 * bolt's pooled connections are keyed by the address dialled, so the pool holds connections to the
 * proxy. The table holds soft references: the parsed {@code Url}s are kept strongly here so that
 * they are never cleared (which would silently dial the member directly).
 *
 * <p>Process-wide (bolt's table is static): called once by {@code Main}, the composition root,
 * before the node starts, when {@code --dial-route} is given. Never by a node.
 */
public final class BoltDialRoutes {

    // strong references: bolt's table keeps only soft ones
    private static final List<Url> routes = new ArrayList<>();

    private BoltDialRoutes() {
    }

    /** {@code raftAddress -> dialAddress}, both {@code host:port}. */
    public static synchronized void install(Map<String, String> raftAddressToDial) {
        RpcAddressParser parser = new RpcAddressParser();
        raftAddressToDial.forEach((raftAddress, dial) -> {
            Url url = parser.parse(dial);
            routes.add(url);
            Url.parsedUrls.put(raftAddress, new SoftReference<>(url));
        });
    }
}
