package io.muster.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.config.ConfigException;
import io.muster.gateway.route.Protocol;
import io.muster.gateway.route.Route;
import io.muster.testkit.UnitTest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The listener tls, route protocol and upstream-tls keys: defaults, and errors that name the key. */
@UnitTest
class TlsAndProtocolKeysAreValidatedWithClearErrorsTest {

  private static GatewayConfig parse(String listeners, String routes) {
    return ConfigLoader.parse("listeners:\n" + listeners + "routes:\n" + routes, "test.yaml");
  }

  private static String error(String listeners, String routes) {
    return assertThrows(ConfigException.class, () -> parse(listeners, routes)).getMessage();
  }

  private static final String PLAIN = "  - {port: 0}\n";
  private static final String ROUTE = "  - {service: s}\n";

  @Test
  void defaultsAreHttp2OnAndPlaintextHttpRoutes() {
    GatewayConfig c = parse(PLAIN, ROUTE);
    assertTrue(c.listeners().get(0).http2());
    assertEquals(100, c.listeners().get(0).maxConcurrentStreams());
    assertEquals(io.muster.gateway.proxy.Http2Limits.DEFAULTS, c.listeners().get(0).http2Limits());
    assertEquals(new io.muster.gateway.proxy.Http2Limits(7, 8192, 50, 3, 40, 10),
        parse("  - {port: 0, max-concurrent-streams: 7, max-header-list-bytes: 8192, max-outbound-control-frames: 50,"
            + " max-consecutive-empty-frames: 3, max-resets-per-window: 40, reset-window-seconds: 10}\n", ROUTE)
            .listeners().get(0).http2Limits());
    assertNull(c.listeners().get(0).tls());
    Route r = c.routes().get(0).toRoute();
    assertEquals(Protocol.HTTP, r.protocol());
    assertTrue(!r.upstreamHttp2() && r.upstreamTls() == null);
  }

  @Test
  void aGrpcRouteGoesOverHttp2AndUpstreamTlsIsVerifiedByDefault() {
    Route r = parse(PLAIN, "  - {service: s, protocol: grpc, upstream-tls: {ca-file: /ca.pem, server-name: s.internal}}\n")
        .routes().get(0).toRoute();
    assertEquals(Protocol.GRPC, r.protocol());
    assertTrue(r.upstreamHttp2());
    assertEquals(Path.of("/ca.pem"), r.upstreamTls().caFile());
    assertEquals("s.internal", r.upstreamTls().serverName());
    assertTrue(r.upstreamTls().verify());
  }

  @Test
  void badValuesNameTheirKey() {
    assertTrue(error(PLAIN, "  - {service: s, protocol: websocket}\n").contains("protocol: 'websocket' (expected: http, grpc)"));
    assertTrue(error(PLAIN, "  - {service: s, upstream-protocol: h3}\n").contains("upstream-protocol: 'h3' (expected: http1, h2)"));
    assertTrue(error(PLAIN, "  - {service: s, protocol: grpc, upstream-protocol: http1}\n")
        .contains("upstream-protocol: http1 cannot carry protocol grpc"));
    assertTrue(error(PLAIN, "  - {service: s, upstream-tls: {cert-file: /c.pem}}\n")
        .contains("upstream-tls: cert-file and key-file go together"));
    assertTrue(error(PLAIN, "  - {service: s, upstream-tls: {provider: gnutls}}\n")
        .contains("upstream-tls.provider: 'gnutls' (expected: jdk, openssl)"));
    assertTrue(error("  - {port: 0, tls: {certificates: []}}\n", ROUTE)
        .contains("tls.certificates: at least one certificate required"));
    assertTrue(error("  - {port: 0, tls: {certificates: [{cert-file: /c.pem}]}}\n", ROUTE)
        .contains("tls.certificates.key-file: required"));
    assertTrue(error("  - {port: 0, tls: {reload-interval-ms: -1, certificates: [{cert-file: /c, key-file: /k}]}}\n", ROUTE)
        .contains("tls.reload-interval-ms: -1 (expected: >= 0, 0 never reloads)"));
    assertTrue(error("  - {port: 0, max-concurrent-streams: 0}\n", ROUTE)
        .contains("max-concurrent-streams: 0 (expected: 1-10000)"));
    assertTrue(error("  - {port: 0, max-outbound-control-frames: 0}\n", ROUTE)
        .contains("max-outbound-control-frames: 0 (expected: 1-1000000)"));
    assertTrue(error("  - {port: 0, max-resets-per-window: 0}\n", ROUTE)
        .contains("max-resets-per-window: 0 (expected: 1-1000000)"));
    assertTrue(error("  - {port: 0, max-header-list-bytes: 100}\n", ROUTE)
        .contains("max-header-list-bytes: 100 (expected: 4096-1048576)"));
  }
}
