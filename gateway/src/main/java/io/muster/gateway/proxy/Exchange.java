package io.muster.gateway.proxy;

import io.muster.gateway.pool.Endpoint;
import io.muster.gateway.pool.Outcome;
import io.muster.gateway.observe.AccessLog;
import io.muster.gateway.observe.AccessLogEntry;
import io.muster.gateway.observe.RequestIds;
import io.muster.gateway.observe.TraceContext;
import io.muster.gateway.ratelimit.TokenBucket;
import io.muster.gateway.route.Protocol;
import io.muster.gateway.route.RetryBackoff;
import io.muster.gateway.route.RetryPolicy;
import io.muster.gateway.route.Route;
import io.muster.gateway.route.RouteBalancer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One proxied request: picks an endpoint, streams the request body up and the response body down
 * chunk by chunk, retries on another endpoint when that is safe, and answers 503/504/502 itself when
 * it cannot get a response.
 *
 * <p>Threading: confined to the client connection's event loop (backend connections are opened on the
 * same loop), so no field needs synchronization.
 *
 * <p>Retry rules ({@link RetryPolicy}): on the conditions the route lists (connect failure, reset,
 * answer statuses, per-try timeout); to an endpoint not tried yet, or with an explicit retry policy
 * one tried before when none is left; after a connect failure always (nothing was sent), otherwise
 * only for idempotent methods whose body has not been sent; never once response bytes reached the
 * client; at most {@link RetryPolicy#maxRetries()} times; each retry spends a {@link RetryBudget}
 * token and waits the route's {@link RetryBackoff}. A retried answer's connection is closed, not
 * drained. An idempotent request's body is kept up to the route's buffer limit, so it can be sent again.
 *
 * <p>Timeouts: while the request body streams and while the response body streams, the route's idle
 * timeout bounds the silence; from the end of the request to the response head, the request timeout,
 * and for each attempt the per-try timeout if the route has one.
 *
 * <p>Upgrades: an HTTP/1.1 request asking {@code Upgrade} (not h2c) on a route to HTTP/1.1 backends is
 * forwarded with it; a {@code 101} answer ends the exchange (counted with status 101) and turns both
 * connections into a {@link Tunnel}; any other answer is relayed as usual.
 */
final class Exchange implements ExchangeTimer.Expiry {

  private final ProxyContext px;
  private final FrontendHandler frontend;
  private final Channel client;
  private final HttpRequest request;
  private final ExchangeRequest upstreamRequest;
  private final RouteBalancer balancer;
  private final Route route;
  private final long startNanos;
  private final ExchangeResponse response;
  /** Read before the request's headers are rewritten for the backend. */
  private final boolean clientAsksKeepAlive;
  /** A gRPC call: by the route, or by its content type. Errors are answered as gRPC statuses. */
  private final boolean grpc;
  /** The client's deadline from {@code grpc-timeout}, in nanoseconds, or -1. */
  private final long grpcTimeoutNanos;
  /** Plaintext HTTP/1.1 upstream: the pool comes from the one-lookup map. */
  private final boolean plainUpstream;
  private final boolean secure;
  private final RetryPolicy retry;
  /** The protocols of an {@code Upgrade} request forwarded as such, or null. */
  private final String upgrade;
  private Attempts attempts;
  private UpstreamPool connections;
  private Channel backend;
  private ExchangeTimer timer;
  /** The retry waiting for its back-off to pass, or null. */
  private ScheduledFuture<?> backoff;
  private boolean done;
  /** The X-Request-Id sent upstream and to the client. */
  private final String requestId;
  /** Body bytes of an answer the gateway wrote itself (the access log's bytes out). */
  private long ownAnswerBytes;

  Exchange(ProxyContext px, FrontendHandler frontend, Channel client, HttpRequest request, boolean secure) {
    this.px = px;
    this.frontend = frontend;
    this.client = client;
    this.request = request;
    // before the headers are rewritten for the backend, so the id and trace context go upstream
    this.requestId = px.edge().requestIds().apply(request.headers());
    TraceContext.sanitize(request.headers());
    this.clientAsksKeepAlive = HttpUtil.isKeepAlive(request);
    this.balancer = px.router().match(request.headers().get(HttpHeaderNames.HOST), request.uri());
    this.route = balancer == null ? null : balancer.route();
    this.upstreamRequest = new ExchangeRequest(request,
        route == null || route.policies().retry().maxRetries() == 0 ? 0 : route.policies().retry().bufferLimitBytes());
    this.startNanos = px.nanoClock().getAsLong();
    this.response = new ExchangeResponse(this, client, request);
    this.secure = secure;
    this.grpc = route != null && (route.protocol() == Protocol.GRPC || Grpc.isGrpc(request.headers()));
    this.grpcTimeoutNanos = grpc ? Grpc.timeoutNanos(request.headers().get(Grpc.TIMEOUT)) : -1;
    this.plainUpstream = route == null || (!grpc && !route.upstreamHttp2() && route.upstreamTls() == null);
    this.retry = route == null ? null : route.policies().retry();
    this.upgrade = route != null && !grpc && !route.upstreamHttp2() && route.policies().webSocket().enabled()
        && !(client instanceof Http2StreamChannel) && HttpVersion.HTTP_1_1.equals(request.protocolVersion())
        ? Upgrades.requested(request.headers()) : null;
  }

  void start() {
    px.inFlight().increment();
    if (route == null) {
      respond(404, "no route for " + request.uri());
      return;
    }
    TokenBucket bucket = px.edge().rateLimits().bucket(route);
    if (bucket != null) {
      long waitNanos = bucket.tryAcquire();
      if (waitNanos > 0) {
        // before the retry budget counts it: a rejected request sends nothing upstream
        respond(429, "rate limit of route '" + route.name() + "' exceeded", TokenBucket.retryAfterSeconds(waitNanos));
        return;
      }
    }
    px.retryBudget().onRequest();
    if (upgrade != null) {
      upstreamRequest.upgrade(upgrade);
    }
    attempts = new Attempts(balancer, request.headers(), px.nanoClock());
    timer = new ExchangeTimer(frontend.timer(), px.nanoClock(), route, this);
    if (grpcTimeoutNanos >= 0) {
      timer.deadline(startNanos + grpcTimeoutNanos);
    }
    timer.start();
    Endpoint first = attempts.pickNext();
    if (first == null) {
      respond(503, "no healthy instance of service '" + route.service() + "'");
    } else {
      sendTo(first);
    }
  }

  // ---- request side ----

  private void sendTo(Endpoint e) {
    int myAttempt = attempts.begin(e);
    if (retry.perTryTimeout() != null) {
      timer.headDeadlinesFrom(attempts.startNanos());
    }
    UpstreamPool pool = plainUpstream ? px.upstream().get(e) : px.upstream().get(e, route, grpc);
    if (pool == null) {
      onConnectFailed(myAttempt, new PoolUnavailableException("endpoint " + e + " was closed"));
      return;
    }
    connections = pool;
    Channel pooled = pool.pollIdle(client.eventLoop());
    if (pooled != null) {
      onConnected(myAttempt, pool, pooled);
      return;
    }
    pool.acquire(client.eventLoop(), route.connectTimeout()).addListener(f -> {
      if (f.isSuccess()) {
        onConnected(myAttempt, pool, (Channel) f.getNow());
      } else {
        onConnectFailed(myAttempt, f.cause());
      }
    });
  }

  private void onConnected(int myAttempt, UpstreamPool pool, Channel ch) {
    if (done || !attempts.isLatest(myAttempt)) {
      pool.release(ch); // nothing was written: still clean
      return;
    }
    backend = ch;
    BackendHandler.of(ch).bind(this);
    upstreamRequest.attach(ch, route.rewriteUri(request.uri()), client.remoteAddress(), secure, grpc);
    frontend.updateAutoRead();
  }

  private void onConnectFailed(int myAttempt, Throwable cause) {
    if (done || !attempts.isLatest(myAttempt)) {
      return;
    }
    Endpoint e = attempts.current();
    // the gateway's own limits and channels are not the endpoint's failures (see PoolUnavailableException)
    boolean endpointsFault = !(cause instanceof PoolUnavailableException);
    px.metrics().upstreamError(e, endpointsFault ? "connect" : ((PoolUnavailableException) cause).kind());
    attempts.finish(endpointsFault ? Outcome.FAILURE : Outcome.NEUTRAL, -1);
    retryOr(retry.onConnectFailure(), true, 503,
        "upstream connect error: " + e.authority() + ": " + ErrorResponses.describe(cause));
  }

  void onRequestContent(HttpContent c) {
    if (done) {
      c.release();
      return;
    }
    long now = timer.touch();
    upstreamRequest.onContent(c, now);
    if (c instanceof LastHttpContent) {
      timer.headDeadlinesFrom(now);
    }
  }

  /** Called when the client's read batch ends: pushes what was written upstream. */
  void flushToBackend() {
    upstreamRequest.flush();
  }

  boolean requestComplete() {
    return upstreamRequest.complete();
  }

  /** Whether the client connection should read now (request body wanted and upstream not full). */
  boolean wantsRequestBody() {
    return !done && upstreamRequest.wantsBody();
  }

  /**
   * An {@code Upgrade} request is complete and its answer has not come: the client connection must not
   * be read, since what the client sends next may already be the new protocol.
   */
  boolean awaitingUpgrade() {
    return upgrade != null && !done && upstreamRequest.complete();
  }

  void onBackendWritabilityChanged() {
    frontend.updateAutoRead();
  }

  void onClientWritabilityChanged() {
    if (backend != null) {
      backend.config().setAutoRead(client.isWritable());
    }
  }

  // ---- response side (see ExchangeResponse) ----

  void onBackendHead(HttpResponse r) {
    if (done) {
      return;
    }
    timer.touch();
    if (r.decoderResult().isFailure()) {
      onBackendFailure(r.decoderResult().cause());
      return;
    }
    r.headers().set(RequestIds.HEADER, requestId);
    if (upgrade != null && r.status().code() == 101) {
      switchToTunnel(r);
      return;
    }
    response.onHead(r, attempts.elapsedNanos());
    if (!response.headReceived()) {
      return; // an informational head (100 Continue)
    }
    if (retry.retriesStatuses() && retry.onStatus(response.status()) && retryStatus(response.status())) {
      return;
    }
    upstreamRequest.stopKeeping(); // this answer is relayed: no retry can need the body any more
  }

  /**
   * A retriable answer came: tries again if allowed, otherwise it is relayed like any answer.
   *
   * @return whether a retry was started (or is waiting for its back-off)
   */
  private boolean retryStatus(int status) {
    if (!retryAllowed(false)) {
      return false;
    }
    long latency = response.headLatencyNanos();
    Endpoint next = spendRetry();
    if (next == null) {
      return false;
    }
    if (status >= 500) {
      px.metrics().upstreamError(attempts.current(), "status_5xx");
    }
    attempts.finish(status >= 500 ? Outcome.FAILURE : Outcome.NEUTRAL, latency);
    releaseBackend(false); // its body was not read: the connection cannot carry another request
    response.reset();
    retryAfterBackoff(next);
    return true;
  }

  /** The backend accepted the upgrade: the exchange ends here and the connections become a tunnel. */
  private void switchToTunnel(HttpResponse r) {
    Channel ch = backend;
    backend = null;
    upstreamRequest.detach();
    attempts.finish(Outcome.SUCCESS, attempts.elapsedNanos());
    client.writeAndFlush(Upgrades.switchingHead(r), client.voidPromise());
    terminate(101);
    Tunnel.start(client, ch, route.policies().webSocket().idleTimeout(), px.nanoClock(), px.metrics());
  }

  void onBackendContent(HttpContent c) {
    if (done) {
      c.release();
      return;
    }
    timer.touch();
    if (response.onContent(c)) {
      completed();
    } else if (!client.isWritable() && backend != null) {
      backend.config().setAutoRead(false);
    }
  }

  void flushToClient() {
    if (!done) {
      client.flush();
    }
  }

  private void completed() {
    int status = response.status();
    if (status >= 500) {
      px.metrics().upstreamError(attempts.current(), "status_5xx");
    }
    attempts.finish(status >= 500 ? Outcome.FAILURE : Outcome.SUCCESS, response.headLatencyNanos());
    boolean reusable = upstreamRequest.complete() && upstreamRequest.allWritten() && response.backendKeepAlive();
    releaseBackend(reusable);
    terminate(status);
    frontend.exchangeDone(response.clientKeepAlive());
  }

  void onBackendFailure(Throwable cause) {
    if (done) {
      return;
    }
    Endpoint e = attempts.current();
    releaseBackend(false);
    if (e != null) {
      px.metrics().upstreamError(e, "reset");
      attempts.finish(Outcome.FAILURE, -1);
    }
    String what = "upstream " + (e == null ? "" : e.authority() + " ") + "broke the connection: " + ErrorResponses.describe(cause);
    if (response.started()) {
      abort();
      return;
    }
    response.reset();
    retryOr(retry.onReset(), false, 502, what);
  }

  // ---- retries, timeouts, termination ----

  /** The connection's timer fired while this exchange runs. */
  void checkDeadlines() {
    if (timer != null) {
      timer.check();
    }
  }

  /** Retries if {@code wanted} by the route's conditions and allowed, otherwise answers {@code status}. */
  private void retryOr(boolean wanted, boolean beforeSend, int status, String message) {
    if (wanted && retryAllowed(beforeSend)) {
      Endpoint next = spendRetry();
      if (next != null) {
        retryAfterBackoff(next);
        return;
      }
    }
    respond(status, message);
  }

  /**
   * Sends the next attempt after the route's back-off (none for the plain {@code retries} rule: an
   * immediate failover). The request timeout keeps running meanwhile, the per-try timeout does not, and
   * an exchange that ends while it waits (timeout, client gone) never sends it.
   */
  private void retryAfterBackoff(Endpoint next) {
    RetryBackoff b = retry.backoff();
    long delayMillis = b == null ? 0 : b.delayMillis(attempts.count(), px.random());
    if (delayMillis <= 0) {
      sendTo(next);
      return;
    }
    backoff = client.eventLoop().schedule(() -> {
      backoff = null;
      if (!done) {
        sendTo(next);
      }
    }, delayMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public boolean backingOff() {
    return backoff != null;
  }

  /** Another attempt is safe and within the route's count; the request was sent unless {@code beforeSend}. */
  private boolean retryAllowed(boolean beforeSend) {
    return (beforeSend || upstreamRequest.replayable()) && attempts.count() <= retry.maxRetries()
        && !response.started();
  }

  /** The endpoint of the next attempt, with a budget token spent; null when there is none or no token. */
  private Endpoint spendRetry() {
    Endpoint next = attempts.pickNext(retry.reuseTried());
    if (next == null) {
      return null;
    }
    if (!px.retryBudget().tryAcquire()) {
      px.metrics().retry(route.name(), "budget_exhausted");
      return null;
    }
    px.metrics().retry(route.name(), "attempted");
    return next;
  }

  @Override
  public boolean waitingForHead() {
    return upstreamRequest.complete() && !response.headReceived();
  }

  @Override
  public long requestCompleteNanos() {
    return upstreamRequest.completeNanos();
  }

  @Override
  public long attemptStartNanos() {
    return attempts.startNanos();
  }

  @Override
  public void tryTimedOut() {
    Endpoint e = attempts.current();
    long millis = retry.perTryTimeout().toMillis();
    if (e != null) {
      px.metrics().upstreamError(e, "timeout");
      attempts.finish(Outcome.FAILURE, attempts.elapsedNanos());
    }
    releaseBackend(false);
    retryOr(retry.onPerTryTimeout(), false, 504, "upstream " + (e == null ? "" : e.authority() + " ")
        + "timed out after " + millis + " ms (per-try timeout)");
  }

  @Override
  public void requestTimedOut() {
    timedOut(route.requestTimeout().toMillis());
  }

  @Override
  public void idleTimedOut() {
    if (response.started()) {
      Endpoint e = attempts.current();
      if (e != null) {
        px.metrics().upstreamError(e, "timeout");
        attempts.finish(Outcome.FAILURE, -1);
      }
      abort();
    } else if (backend != null && !backend.isWritable()) {
      timedOut(route.idleTimeout().toMillis()); // the backend stopped reading the body
    } else {
      attempts.finish(Outcome.NEUTRAL, -1);
      respond(408, "request body idle for " + route.idleTimeout().toMillis() + " ms");
    }
  }

  @Override
  public void deadlineExceeded() {
    Endpoint e = attempts.current();
    if (e != null) {
      attempts.finish(Outcome.NEUTRAL, -1); // the client's deadline, not the endpoint's fault
    }
    String message = "deadline of " + grpcTimeoutNanos / 1_000_000 + " ms (grpc-timeout) exceeded";
    if (response.started()) {
      releaseBackend(false);
      abort(Grpc.DEADLINE_EXCEEDED, message);
    } else {
      respond(504, message);
    }
  }

  private void timedOut(long millis) {
    Endpoint e = attempts.current();
    if (e != null) {
      px.metrics().upstreamError(e, "timeout");
      attempts.finish(Outcome.FAILURE, attempts.elapsedNanos());
    }
    respond(504, "upstream " + (e == null ? "" : e.authority() + " ") + "timed out after " + millis + " ms");
  }

  private void releaseBackend(boolean reuse) {
    Channel ch = backend;
    if (ch == null) {
      return;
    }
    backend = null;
    upstreamRequest.detach();
    BackendHandler.of(ch).unbind();
    if (reuse) {
      connections.release(ch);
    } else {
      ch.close();
    }
  }

  private void respond(int status, String message) {
    respond(status, message, -1);
  }

  /** @param retryAfterSeconds a {@code Retry-After} value, or -1 for none */
  private void respond(int status, String message, long retryAfterSeconds) {
    releaseBackend(false);
    boolean keepAlive = keepAliveWanted();
    FullHttpResponse answer = grpc
        ? Grpc.trailersOnly(request.protocolVersion(), status, Grpc.statusFor(status), message, keepAlive)
        : ErrorResponses.text(request.protocolVersion(), status, message, keepAlive);
    answer.headers().set(RequestIds.HEADER, requestId);
    if (retryAfterSeconds >= 0) {
      answer.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(retryAfterSeconds));
    }
    ownAnswerBytes = answer.content().readableBytes();
    ChannelFuture f = client.writeAndFlush(answer);
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
    terminate(status);
    frontend.exchangeDone(keepAlive);
  }

  /** Response bytes already went out: the only honest signal left is closing the connection. */
  private void abort() {
    abort(Grpc.UNAVAILABLE, "upstream " + (attempts == null || attempts.current() == null ? ""
        : attempts.current().authority() + " ") + "failed after the response started");
  }

  /** As {@link #abort()}; a gRPC call on HTTP/2 ends with a status in trailers instead of a reset. */
  private void abort(int grpcStatus, String message) {
    releaseBackend(false);
    if (grpc && client instanceof Http2StreamChannel) {
      client.writeAndFlush(Grpc.trailers(grpcStatus, message)).addListener(ChannelFutureListener.CLOSE);
    } else {
      client.close();
    }
    terminate(ProxyMetrics.ABORTED);
    frontend.exchangeDone(false);
  }

  void onClientClosed() {
    if (done) {
      return;
    }
    if (attempts != null) {
      attempts.finish(Outcome.NEUTRAL, -1);
    }
    releaseBackend(false);
    terminate(ProxyMetrics.CLIENT_CLOSED);
  }

  private void terminate(int status) {
    done = true;
    if (timer != null) {
      timer.cancel();
    }
    if (backoff != null) {
      backoff.cancel(false);
      backoff = null;
    }
    upstreamRequest.releasePending();
    long nanos = px.nanoClock().getAsLong() - startNanos;
    px.metrics().request(route, status, nanos);
    AccessLog accessLog = px.edge().accessLog();
    if (accessLog.enabled()) {
      accessLog.log(accessLogEntry(accessLog, status, nanos));
    }
    px.inFlight().decrement();
  }

  private AccessLogEntry accessLogEntry(AccessLog accessLog, int status, long nanos) {
    Endpoint upstream = attempts == null ? null : attempts.last();
    String protocol = client instanceof Http2StreamChannel ? "HTTP/2.0" : request.protocolVersion().text();
    return new AccessLogEntry(accessLog.nowMillis() - nanos / 1_000_000, requestId, request.method().name(),
        request.headers().get(HttpHeaderNames.HOST), request.uri(), protocol, grpc, status,
        upstreamRequest.bodyBytes(), response.bodyBytes() + ownAnswerBytes, nanos / 1_000,
        upstream == null ? null : upstream.authority(), attempts == null ? 0 : attempts.count(),
        route == null ? null : route.name());
  }

  /** Keep the client connection after this response: client wants it, request fully read, not draining. */
  boolean keepAliveWanted() {
    return clientAsksKeepAlive && upstreamRequest.completeOrBodiless() && !px.inFlight().draining();
  }
}
