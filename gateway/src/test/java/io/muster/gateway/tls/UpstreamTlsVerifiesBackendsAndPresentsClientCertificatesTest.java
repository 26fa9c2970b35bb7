package io.muster.gateway.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.muster.certs.IssuedCertificate;
import io.muster.gateway.testing.GatewayFixture;
import io.muster.gateway.testing.GrpcTestBackend;
import io.muster.gateway.testing.TestBackend;
import io.muster.gateway.testing.TestCerts;
import io.muster.testkit.ClusterTest;
import io.netty.handler.ssl.ClientAuth;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS from the gateway to backends: verified by default (an untrusted backend or a wrong name fails the
 * connection, its CA file makes it work), and a client certificate for backends that require one,
 * over HTTP/1.1 (JDK HTTPS server) and over HTTP/2 (grpc-java server requiring mTLS).
 */
@ClusterTest
class UpstreamTlsVerifiesBackendsAndPresentsClientCertificatesTest {

  @TempDir
  static Path dir;
  private static TestBackend https;
  private static TestBackend mtls;
  private static GrpcTestBackend grpcMtls;
  private static GatewayFixture gw;
  private static ManagedChannel channel;

  @BeforeAll
  static void setUp() throws Exception {
    TestCerts backendCa = new TestCerts("backend-ca", dir);
    IssuedCertificate server = backendCa.server("backend", List.of("backend.test"));
    backendCa.client("gateway");
    https = new TestBackend("https-backend", backendCa.serverContext(server), false);
    mtls = new TestBackend("mtls-backend", backendCa.serverContext(server), true);
    grpcMtls = new GrpcTestBackend("grpc-mtls", GrpcSslContexts.forServer(
            backendCa.cert("backend").toFile(), backendCa.key("backend").toFile())
        .trustManager(backendCa.caFile().toFile()).clientAuth(ClientAuth.REQUIRE).build());
    String ca = backendCa.caFile().toString();
    String cert = backendCa.cert("gateway").toString();
    String key = backendCa.key("gateway").toString();
    gw = new GatewayFixture("""
        routes:
          - {prefix: /trusted/, service: https, retries: 0, upstream-tls: {ca-file: %1$s}}
          - {prefix: /untrusted/, service: https, retries: 0, upstream-tls: {}}
          - {prefix: /wrong-name/, service: https, retries: 0, upstream-tls: {ca-file: %1$s, server-name: other.test}}
          - {prefix: /by-name/, service: https, retries: 0, upstream-tls: {ca-file: %1$s, server-name: backend.test}}
          - {prefix: /mtls-without-cert/, service: mtls, retries: 0, upstream-tls: {ca-file: %1$s}}
          - {prefix: /mtls/, service: mtls, retries: 0, upstream-tls: {ca-file: %1$s, cert-file: %2$s, key-file: %3$s}}
          - {prefix: /test.Echo/, service: grpc, protocol: grpc, upstream-tls: {ca-file: %1$s, cert-file: %2$s, key-file: %3$s}}
        """.formatted(ca, cert, key));
    gw.source.set("https", List.of(https.instance("https")));
    gw.source.set("mtls", List.of(mtls.instance("mtls")));
    gw.source.set("grpc", List.of(grpcMtls.instance("grpc")));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gw.ports.proxyPort()).usePlaintext().build();
  }

  @AfterAll
  static void tearDown() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    gw.close();
    https.close();
    mtls.close();
    grpcMtls.close();
  }

  @Test
  void aBackendSignedByTheConfiguredCaIsReachedOverTls() throws Exception {
    HttpResponse<String> r = gw.get("/trusted/x");
    assertEquals(200, r.statusCode());
    assertEquals("https-backend", r.body());
    assertEquals(200, gw.get("/by-name/x").statusCode());
  }

  @Test
  void aBackendTheGatewayDoesNotTrustIsNotSentTheRequest() throws Exception {
    int before = https.requests();
    HttpResponse<String> r = gw.get("/untrusted/x");
    assertEquals(503, r.statusCode());
    assertTrue(r.body().contains("upstream connect error") && r.body().contains("SSLHandshakeException"), r.body());
    assertEquals(before, https.requests());
  }

  @Test
  void aBackendWhoseCertificateDoesNotNameTheServerNameIsRefused() throws Exception {
    HttpResponse<String> r = gw.get("/wrong-name/x");
    assertEquals(503, r.statusCode());
    assertTrue(r.body().contains("SSLHandshakeException"), r.body());
  }

  @Test
  void aBackendRequiringAClientCertificateGetsTheConfiguredOne() throws Exception {
    HttpResponse<String> r = gw.get("/mtls/x");
    assertEquals(200, r.statusCode());
    assertEquals("mtls-backend", r.body());
    // without one, the backend ends the handshake (TLS 1.3: after the client finished its part)
    int status = gw.get("/mtls-without-cert/x").statusCode();
    assertTrue(status == 502 || status == 503, "status " + status);
  }

  @Test
  void grpcCallsReachABackendRequiringMtlsOverHttp2() {
    assertEquals("grpc-mtls:hello",
        GrpcTestBackend.unary(channel, GrpcTestBackend.UNARY, "hello", CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)));
  }
}
