package io.muster.client.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HttpCheck;
import io.muster.api.v1.Instance;
import io.muster.client.Registration;
import io.muster.client.RegistryClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A tiny HTTP service that registers itself in Muster with an HTTP health check, for the local demo.
 * {@code GET /} answers who served it; {@code POST /admin/fail} and {@code /admin/recover} flip its
 * health endpoint, so you can watch the registry (and the gateway) react.
 */
@Command(name = "demo-service", mixinStandardHelpOptions = true)
public final class DemoService implements Callable<Integer> {

    @Option(names = "--service", defaultValue = "hello")
    String service;
    @Option(names = "--id", required = true)
    String id;
    @Option(names = "--port", required = true)
    int port;
    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;
    @Option(names = "--version", defaultValue = "v1", description = "Value of the 'version' metadata (canary routing)")
    String version;
    @Option(names = "--zone", defaultValue = "local")
    String zone;
    @Option(names = "--targets", defaultValue = "${env:MUSTER_TARGETS:-127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003}")
    String targets;
    @Option(names = "--token", defaultValue = "${env:MUSTER_TOKEN}", description = "ACL token with write on this service (env MUSTER_TOKEN)")
    String token;
    @Option(names = "--token-file", description = "Read the ACL token from the first line of this file (wins over --token)")
    java.nio.file.Path tokenFile;
    @Option(names = "--ca", defaultValue = "${env:MUSTER_CA}", description = "TLS to the registry: CA certificate (PEM) of the members")
    java.nio.file.Path ca;
    @Option(names = "--cert", defaultValue = "${env:MUSTER_CERT}", description = "Client certificate (PEM) for members that ask for one")
    java.nio.file.Path cert;
    @Option(names = "--key", defaultValue = "${env:MUSTER_KEY}", description = "Private key (PEM, PKCS#8) of --cert")
    java.nio.file.Path key;

    private final AtomicBoolean healthy = new AtomicBoolean(true);

    @Override
    public Integer call() throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 128);
        http.setExecutor(Executors.newFixedThreadPool(4));
        http.createContext("/health", ex -> reply(ex, healthy.get() ? 200 : 503, healthy.get() ? "ok\n" : "failing\n"));
        http.createContext("/admin/fail", ex -> {
            healthy.set(false);
            reply(ex, 200, id + " now fails its health check\n");
        });
        http.createContext("/admin/recover", ex -> {
            healthy.set(true);
            reply(ex, 200, id + " recovered\n");
        });
        http.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            reply(ex, 200, "hello from " + service + "/" + id + " (" + version + ") path " + ex.getRequestURI() + "\n");
        });
        http.start();
        RegistryClient.Builder builder = RegistryClient.builder(List.of(targets.split(",")));
        if (tokenFile != null) {
            builder.tokenFile(tokenFile);
        } else if (token != null && !token.isBlank()) {
            builder.token(token);
        }
        if (ca != null) {
            builder.tls(ca);
        }
        if (cert != null || key != null) {
            builder.clientCertificate(cert, key); // both or an error naming the missing one
        }
        RegistryClient client = builder.build();
        Registration reg = client.register(Instance.newBuilder()
                .setService(service).setId(id).setHost(host).setPort(port).setZone(zone)
                .putMetadata("version", version).addTags(version)
                .setLeaseTtlMs(10_000)
                .addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setPath("/health"))
                        .setIntervalMs(1000).setTimeoutMs(500).setRise(1).setFall(2))
                .build());
        System.out.printf("demo service %s/%s (%s) on http://%s:%d registered with lease %d%n", service, id, version, host, port, reg.leaseId());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            reg.close();
            client.close();
            http.stop(0);
            stop.countDown();
        }, "demo-shutdown"));
        stop.await();
        return 0;
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "muster-client-logback.xml");
        }
        System.exit(new CommandLine(new DemoService()).execute(args));
    }
}
