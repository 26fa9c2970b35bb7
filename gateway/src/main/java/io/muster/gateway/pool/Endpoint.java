package io.muster.gateway.pool;

import io.muster.api.v1.Instance;
import io.muster.gateway.lb.LoadStats;
import io.muster.gateway.lb.Target;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One backend of a service pool: an address plus its live state (load, outlier counters, lifecycle).
 * The pool keeps the same object for as long as the instance stays (weight or metadata updates
 * included), so pickers and connection pools can key on identity.
 *
 * <p>Request path: {@link #started()} when a request is assigned, then exactly one {@link
 * #finished(Outcome, long)}. Both are lock-free except when they cross an ejection threshold or end a
 * drain.
 */
public final class Endpoint implements Target {

  private final ServicePool owner;
  private final String id;
  private final String host;
  private final int port;
  private final InetSocketAddress address;
  private final LoadStats load;
  private volatile Instance instance;
  private volatile EndpointState state = EndpointState.ACTIVE;

  final AtomicInteger consecutiveFailures = new AtomicInteger();
  // guarded by owner's monitor
  int ejections;
  long ejectedUntilNanos;
  long returnedAtNanos;

  Endpoint(ServicePool owner, Instance instance, LoadStats load) {
    this.owner = owner;
    this.instance = instance;
    this.id = instance.getId();
    this.host = instance.getHost();
    this.port = instance.getPort();
    this.load = load;
    // IP literals need no lookup; names are resolved by the transport at connect time
    this.address = NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)
        ? new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(host), port)
        : InetSocketAddress.createUnresolved(host, port);
  }

  @Override
  public String key() {
    return id;
  }

  @Override
  public int weight() {
    int w = instance.getWeight();
    return w == 0 ? 100 : w;
  }

  @Override
  public LoadStats load() {
    return load;
  }

  public String service() {
    return owner.service();
  }

  public String id() {
    return id;
  }

  public InetSocketAddress address() {
    return address;
  }

  /** {@code host:port}. */
  public String authority() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  /** The latest registration of this instance (metadata, tags and weight may change over time). */
  public Instance instance() {
    return instance;
  }

  void instance(Instance updated) {
    this.instance = updated;
  }

  public EndpointState state() {
    return state;
  }

  void state(EndpointState next) {
    this.state = next;
  }

  public boolean isClosed() {
    return state == EndpointState.CLOSED;
  }

  boolean sameAddress(Instance other) {
    return host.equals(other.getHost()) && port == other.getPort();
  }

  /** A request was assigned to this endpoint. */
  public void started() {
    load.started();
  }

  /**
   * The request assigned by {@link #started()} ended.
   *
   * @param latencyNanos time to the response, or negative when there is none worth observing
   */
  public void finished(Outcome outcome, long latencyNanos) {
    owner.finished(this, outcome, latencyNanos);
  }

  @Override
  public String toString() {
    return owner.service() + "/" + id + "@" + authority() + "(" + state.label() + ")";
  }
}
