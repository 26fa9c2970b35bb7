package io.muster.gateway.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.muster.gateway.GatewayServer;
import io.muster.gateway.config.ConfigLoader;
import io.muster.gateway.config.GatewayConfig;
import io.muster.gateway.pool.StaticInstanceSource;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A gateway on 127.0.0.1 with an ephemeral port and admin port, a {@link StaticInstanceSource} the
 * test controls, and a JDK HTTP/1.1 client.
 */
public final class GatewayFixture implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  public final StaticInstanceSource source = new StaticInstanceSource();
  public final GatewayServer server;
  public final GatewayServer.BoundPorts ports;
  public final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * @param routesAndMore YAML appended after the listener and admin sections (routes, outlier, ...)
   */
  public GatewayFixture(String routesAndMore) {
    this(0, routesAndMore);
  }

  /**
   * @param listenerIdleTimeoutMs the listener's idle-timeout-ms, or 0 for its default
   * @param routesAndMore YAML appended after the listener and admin sections (routes, outlier, ...)
   */
  public GatewayFixture(long listenerIdleTimeoutMs, String routesAndMore) {
    this("""
        listeners:
          - host: 127.0.0.1
            port: 0
        """ + (listenerIdleTimeoutMs > 0 ? "    idle-timeout-ms: " + listenerIdleTimeoutMs + "\n" : ""), routesAndMore);
  }

  /**
   * @param listeners the {@code listeners:} section (use port 0)
   * @param routesAndMore YAML appended after the listener and admin sections (routes, outlier, ...)
   */
  public GatewayFixture(String listeners, String routesAndMore) {
    this(GatewayServer.Options.defaults(), listeners, routesAndMore);
  }

  /**
   * @param options the gateway's clock, randomness and threads (e.g. a {@link FakeTicker} as its clock)
   * @param listeners the {@code listeners:} section (use port 0)
   * @param routesAndMore YAML appended after the listener and admin sections (routes, outlier, ...)
   */
  public GatewayFixture(GatewayServer.Options options, String listeners, String routesAndMore) {
    this.server = new GatewayServer(options);
    String yaml = listeners + """
        admin:
          host: 127.0.0.1
          port: 0
        shutdown-drain-ms: 2000
        """ + routesAndMore;
    GatewayConfig config = ConfigLoader.parse(yaml, "test.yaml");
    this.ports = server.start(config, source);
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + ports.proxyPort() + path);
  }

  public HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20));
  }

  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  public String admin(String path) throws IOException, InterruptedException {
    URI uri = URI.create("http://127.0.0.1:" + ports.admin().getPort() + path);
    return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The endpoint named {@code id} in {@code GET /pools}, or null. */
  public JsonNode endpoint(String service, String id) {
    try {
      for (JsonNode pool : JSON.readTree(admin("/pools")).get("pools")) {
        if (pool.get("service").asText().equals(service)) {
          for (JsonNode e : pool.get("endpoints")) {
            if (e.get("id").asText().equals(id)) {
              return e;
            }
          }
        }
      }
      return null;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** State of an endpoint in {@code GET /pools} ("active", "ejected", "draining"), or "absent". */
  public String state(String service, String id) {
    JsonNode e = endpoint(service, id);
    return e == null ? "absent" : e.get("state").asText();
  }

  @Override
  public void close() {
    server.close();
    source.close();
  }
}
