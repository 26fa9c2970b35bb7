package io.muster.client.cli;

import io.muster.api.v1.Event;
import io.muster.api.v1.CustomCheck;
import io.muster.api.v1.GrpcCheck;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HttpCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.api.v1.MembersResponse;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.ServiceSummary;
import io.muster.api.v1.TcpCheck;
import io.muster.api.v1.TtlCheck;
import io.muster.api.v1.WatchResponse;
import io.muster.client.DiscoverFilter;
import io.muster.client.Registration;
import io.muster.client.Namespaces;
import io.muster.client.RegistryClient;
import io.grpc.Status;
import io.muster.client.Watch;
import io.muster.client.WatchListener;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** The subcommands of {@code muster}. */
final class Commands {
    private Commands() {
    }

    static void printInstances(MusterCli cli, List<Instance> instances) {
        Output o = cli.output();
        if (o.structured()) {
            o.document(Output.list("instances", instances));
            return;
        }
        printInstanceTable(o, instances);
    }

    static void printInstanceTable(Output o, List<Instance> instances) {
        Table t = o.wide()
                ? new Table("SERVICE", "ID", "ADDRESS", "HEALTH", "REASON", "WEIGHT", "ZONE", "TAGS", "REVISION",
                        "CREATED", "LEASE", "TTL_MS", "CHECKS", "METADATA")
                : new Table("SERVICE", "ID", "ADDRESS", "HEALTH", "REASON", "WEIGHT", "ZONE", "TAGS", "REVISION");
        for (Instance i : instances) {
            List<Object> row = new ArrayList<>(List.of(named(i.getNamespace(), i.getService()), i.getId(), i.getHost() + ":" + i.getPort(),
                    i.getMaintenance() ? i.getHealth() + ",MAINT" : i.getHealth(),
                    i.getMaintenance() ? "maintenance: " + i.getMaintenanceReason() + "; " + i.getHealthReason() : i.getHealthReason(), i.getWeight(), i.getZone(), String.join(",", i.getTagsList()), i.getModRevision()));
            if (o.wide()) {
                row.addAll(List.of(i.getCreateRevision(), i.getLeaseId(), i.getLeaseTtlMs(), checks(i), metadata(i)));
            }
            t.row(row.toArray());
        }
        t.print(o.out());
    }

    /** {@code name:kind,...} of an instance's checks. */
    static String checks(Instance i) {
        return i.getChecksList().stream()
                .map(c -> c.getName() + ":" + c.getKindCase().name().toLowerCase(java.util.Locale.ROOT))
                .collect(java.util.stream.Collectors.joining(","));
    }

    static String metadata(Instance i) {
        return new java.util.TreeMap<>(i.getMetadataMap()).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(java.util.stream.Collectors.joining(","));
    }

    @Command(name = "register", description = "Register an instance (with --keep: keep it alive until Ctrl-C, then deregister)")
    static final class Register implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;
        @Option(names = "--service", required = true, description = "Service name, e.g. orders")
        String service;
        @Option(names = "--id", description = "Instance id (default host:port)")
        String id = "";
        @Option(names = "--host", required = true, description = "Address clients connect to (host name or IP)")
        String host;
        @Option(names = "--port", required = true, description = "Port clients connect to, 1-65535")
        int port;
        @Option(names = "--tag", description = "Tag (repeatable)")
        List<String> tags = new ArrayList<>();
        @Option(names = "--meta", description = "Metadata key=value (repeatable)")
        Map<String, String> metadata = new LinkedHashMap<>();
        @Option(names = "--weight", description = "Load-balancing weight (default 100)")
        int weight;
        @Option(names = "--zone", description = "Zone of the instance")
        String zone = "";
        @Option(names = "--ttl-ms", description = "Lease TTL (default 10000)")
        long ttlMs;
        @Option(names = "--http-check", description = "Path of an HTTP health check on the instance's port")
        String httpCheck;
        @Option(names = "--tcp-check", description = "Add a TCP connect check on the instance's port")
        boolean tcpCheck;
        @Option(names = "--grpc-check", arity = "0..1", fallbackValue = "", paramLabel = "SERVICE",
                description = "Add a grpc.health.v1 check on the instance's port (SERVICE: the health service name; none: the whole server)")
        String grpcCheck;
        @Option(names = "--ttl-check-ms", paramLabel = "MS",
                description = "Add a TTL check named ttl: the instance reports within MS (1000-3600000) with `muster health report`, else it fails")
        int ttlCheckMs;
        @Option(names = "--custom-check", paramLabel = "TYPE", description = "Add a check of a server plug-in TYPE (its config from --check-config)")
        String customCheck;
        @Option(names = "--check-config", paramLabel = "KEY=VALUE", description = "Config of the --custom-check (repeatable)")
        Map<String, String> checkConfig = new LinkedHashMap<>();
        @Option(names = "--check-interval-ms", description = "Interval of the checks (default 5000)")
        int checkIntervalMs;
        @Option(names = "--http-scheme", paramLabel = "SCHEME", description = "Scheme of the --http-check: http (default) or https")
        String httpScheme = "";
        @Option(names = "--http-method", paramLabel = "METHOD", description = "Method of the --http-check: GET (default), HEAD, POST, PUT, DELETE, OPTIONS, PATCH")
        String httpMethod = "";
        @Option(names = "--http-header", paramLabel = "NAME=VALUE", description = "Request header of the --http-check (repeatable, at most 16)")
        Map<String, String> httpHeaders = new LinkedHashMap<>();
        @Option(names = "--http-expect-status", paramLabel = "CODE", split = ",",
                description = "Status that counts as healthy for the --http-check (repeatable or comma-separated, 100-599; default any 2xx)")
        List<Integer> httpExpectStatus = new ArrayList<>();
        @Option(names = "--http-expect-body", paramLabel = "TEXT", description = "The --http-check's response body must contain TEXT (up to 1024 chars)")
        String httpExpectBody = "";
        @Option(names = "--grpc-tls", description = "The --grpc-check connects with TLS (the certificate is verified unless --tls-skip-verify)")
        boolean grpcTls;
        @Option(names = "--tls-ca-file", paramLabel = "FILE",
                description = "PEM file of the CA that signs the instance's certificate, for an https --http-check and a --grpc-tls check (default: the member's trust store)")
        Path tlsCaFile;
        @Option(names = "--tls-skip-verify", description = "Accept any certificate for an https --http-check and a --grpc-tls check (no verification)")
        boolean tlsSkipVerify;
        @Option(names = "--keep", description = "Keep the lease alive until interrupted")
        boolean keep;

        @Override
        public Integer call() throws Exception {
            Instance.Builder b = Instance.newBuilder().setService(service).setId(id).setHost(host).setPort(port)
                    .addAllTags(tags).putAllMetadata(metadata).setWeight(weight).setZone(zone).setLeaseTtlMs(ttlMs);
            String caPem = tlsCaFile == null ? "" : Files.readString(tlsCaFile);
            if (httpCheck != null) {
                HttpCheck.Builder h = HttpCheck.newBuilder().setPath(httpCheck).setScheme(httpScheme).setMethod(httpMethod)
                        .putAllHeaders(httpHeaders).addAllExpectedStatuses(httpExpectStatus).setExpectedBody(httpExpectBody);
                if ("https".equals(httpScheme)) {
                    h.setTlsCaPem(caPem).setTlsSkipVerify(tlsSkipVerify);
                }
                b.addChecks(HealthCheck.newBuilder().setHttp(h).setIntervalMs(checkIntervalMs));
            }
            if (tcpCheck) {
                b.addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()).setIntervalMs(checkIntervalMs));
            }
            if (grpcCheck != null) {
                GrpcCheck.Builder g = GrpcCheck.newBuilder().setService(grpcCheck).setUseTls(grpcTls);
                if (grpcTls) {
                    g.setTlsCaPem(caPem).setTlsSkipVerify(tlsSkipVerify);
                }
                b.addChecks(HealthCheck.newBuilder().setGrpc(g).setIntervalMs(checkIntervalMs));
            }
            if (ttlCheckMs != 0) {
                b.addChecks(HealthCheck.newBuilder().setName("ttl").setTtl(TtlCheck.newBuilder().setTtlMs(ttlCheckMs)));
            }
            if (customCheck != null) {
                b.addChecks(HealthCheck.newBuilder().setCustom(CustomCheck.newBuilder().setType(customCheck).putAllConfig(checkConfig))
                        .setIntervalMs(checkIntervalMs));
            }
            cli.oneNamespace();
            try (RegistryClient client = cli.client()) {
                if (!keep) {
                    RegisterResponse r = client.registerOnce(b.build());
                    if (cli.output().structured()) {
                        cli.output().document(r);
                    } else {
                        cli.out().printf("registered %s/%s lease %d ttl %d ms at revision %d%n", named(cli, service), r.getInstanceId(),
                                r.getLeaseId(), r.getLeaseTtlMs(), r.getRevision());
                        cli.out().flush();
                    }
                    return 0;
                }
                CountDownLatch stop = new CountDownLatch(1);
                try (Registration reg = client.register(b.build())) {
                    cli.out().printf("registered %s/%s lease %d; keeping it alive (Ctrl-C deregisters)%n", named(cli, service),
                            reg.instance().getId(), reg.leaseId());
                    cli.out().flush();
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                        reg.close();
                        stop.countDown();
                    }, "muster-cli-shutdown"));
                    stop.await();
                }
                return 0;
            }
        }
    }

    @Command(name = "maint", description = {"Take an instance out of service (on) or put it back (off).",
            "In maintenance it takes no traffic whatever its health; its lease and checks keep running."})
    static final class Maint implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;
        @Parameters(index = "0", paramLabel = "on|off", completionCandidates = OnOff.class, description = "${COMPLETION-CANDIDATES}")
        String state;
        @Parameters(index = "1", paramLabel = "SERVICE", description = "Service of the instance")
        String service;
        @Parameters(index = "2", paramLabel = "INSTANCE_ID", description = "Id of the instance")
        String id;
        @Option(names = "--reason", description = "Why (up to 1024 chars), shown as the instance's maintenance reason (with on)")
        String reason = "";

        static final class OnOff implements Iterable<String> {
            @Override
            public java.util.Iterator<String> iterator() {
                return List.of("on", "off").iterator();
            }
        }

        @Override
        public Integer call() {
            boolean on = switch (state) {
                case "on" -> true;
                case "off" -> false;
                default -> throw new IllegalArgumentException("on|off: '" + state + "' (expected: on or off)");
            };
            cli.oneNamespace();
            try (RegistryClient client = cli.client()) {
                var r = client.setMaintenance(service, id, on, reason);
                if (cli.output().structured()) {
                    cli.output().document(r);
                } else {
                    cli.out().printf("%s/%s maintenance %s%s%n", named(cli, service), id, on ? "on" : "off",
                            r.getChanged() ? " at revision " + r.getRevision() : " (already)");
                    cli.out().flush();
                }
                return ExitCode.OK;
            }
        }
    }

    @Command(name = "deregister", description = "Remove an instance")
    static final class Deregister implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;
        @Parameters(index = "0", paramLabel = "SERVICE", description = "Service of the instance")
        String service;
        @Parameters(index = "1", paramLabel = "INSTANCE_ID", description = "Id of the instance")
        String id;

        @Override
        public Integer call() {
            cli.oneNamespace();
            try (RegistryClient client = cli.client()) {
                var r = client.deregister(service, id);
                if (cli.output().structured()) {
                    cli.output().document(r);
                } else {
                    cli.out().println(r.getFound() ? "deregistered " + named(cli, service) + "/" + id + " at revision " + r.getRevision()
                            : "no instance " + named(cli, service) + "/" + id);
                    cli.out().flush();
                }
                return r.getFound() ? ExitCode.OK : ExitCode.NOT_FOUND;
            }
        }
    }

    @Command(name = "list", description = "List services with instance counts, or the instances of one service")
    static final class ListServices implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;
        @Parameters(arity = "0..1", paramLabel = "SERVICE", description = "List this service's instances instead of the services")
        String service;

        @Override
        public Integer call() {
            try (RegistryClient client = cli.client()) {
                if (service != null) {
                    printInstances(cli, client.discover(cli.oneNamespace(), service, DiscoverFilter.all()));
                    return 0;
                }
                List<ServiceSummary> services = client.listServices(cli.namespace);
                Output o = cli.output();
                if (o.structured()) {
                    o.document(Output.list("services", services));
                    return 0;
                }
                // every namespace: a column says which; one namespace: as before namespaces
                boolean all = cli.namespace.equals(Namespaces.ALL);
                List<String> head = new ArrayList<>(List.of("SERVICE", "INSTANCES", "HEALTHY"));
                if (o.wide()) {
                    head.add("NOT_ROUTABLE");
                }
                if (all) {
                    head.add(0, "NAMESPACE");
                }
                Table t = new Table(head.toArray(String[]::new));
                services.forEach(s -> {
                    List<Object> row = new ArrayList<>(List.of(s.getName(), s.getInstances(), s.getHealthy()));
                    if (o.wide()) {
                        row.add(s.getInstances() - s.getHealthy());
                    }
                    if (all) {
                        row.add(0, s.getNamespace());
                    }
                    t.row(row.toArray());
                });
                t.print(cli.out());
                return 0;
            }
        }
    }

    @Command(name = "discover", description = "Instances of a service")
    static final class Discover implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;
        @Parameters(paramLabel = "SERVICE", description = "Service to look up")
        String service;
        @Option(names = "--healthy", description = "Only routable instances")
        boolean healthy;
        @Option(names = "--tag", description = "Required tag (repeatable)")
        List<String> tags = new ArrayList<>();
        @Option(names = "--zone", description = "Only instances in this zone")
        String zone = "";
        @Option(names = "--local", description = "Read the answering member's state (may lag)")
        boolean local;

        @Override
        public Integer call() {
            try (RegistryClient client = cli.client()) {
                DiscoverFilter f = new DiscoverFilter(healthy, tags, zone, Map.of(), local);
                printInstances(cli, client.discover(cli.oneNamespace(), service, f));
                return 0;
            }
        }
    }

    @Command(name = "watch", description = "Stream changes until Ctrl-C (or --count events)")
    static final class WatchCmd implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;
        @Parameters(arity = "0..*", paramLabel = "SERVICE", description = "Services to watch (none: all)")
        List<String> services = new ArrayList<>();
        @Option(names = "--from", description = "Start at this revision instead of a snapshot")
        long from;
        @Option(names = "--count", description = "Exit after this many events")
        int count;

        @Override
        public Integer call() throws Exception {
            CountDownLatch done = new CountDownLatch(1);
            AtomicInteger seen = new AtomicInteger();
            AtomicReference<Status> failure = new AtomicReference<>();
            try (RegistryClient client = cli.client();
                 Watch w = client.watch(cli.namespace, new LinkedHashSet<>(services), from, new WatchListener() {
                     @Override
                     public void onSnapshot(List<Instance> instances, long revision) {
                         Output o = cli.output();
                         if (o.structured()) {
                             // one document per line: a watch never ends, so there is no whole answer
                             o.line(WatchResponse.newBuilder().setKind(WatchResponse.Kind.SNAPSHOT).addAllInstances(instances)
                                     .setRevision(revision).setSnapshotComplete(true));
                         } else {
                             cli.out().printf("# snapshot at revision %d: %d instances%n", revision, instances.size());
                             printInstances(cli, instances);
                         }
                     }

                     @Override
                     public void onEvents(List<Event> events) {
                         if (cli.output().structured() && !events.isEmpty()) {
                             cli.output().line(WatchResponse.newBuilder().setKind(WatchResponse.Kind.EVENTS)
                                     .setRevision(events.get(events.size() - 1).getRevision()).addAllEvents(events));
                         }
                         for (Event e : events) {
                             if (!cli.output().structured()) {
                                 Instance i = e.getInstance();
                                 cli.out().printf("%d %-14s %s/%s %s:%d %s%s%n", e.getRevision(), e.getType(),
                                         named(i.getNamespace(), i.getService()), i.getId(),
                                         i.getHost(), i.getPort(), i.getHealth(),
                                         i.getHealthReason().isEmpty() ? "" : " (" + i.getHealthReason() + ")");
                                 cli.out().flush();
                             }
                             if (count > 0 && seen.incrementAndGet() >= count) {
                                 done.countDown();
                             }
                         }
                     }

                     @Override
                     public void onError(Status status) {
                         failure.set(status);
                         done.countDown();
                     }
                 })) {
                Runtime.getRuntime().addShutdownHook(new Thread(done::countDown, "muster-cli-watch-stop"));
                done.await();
                Status status = failure.get();
                if (status != null) {
                    throw status.asRuntimeException(); // printed as "muster: CODE: description", exit code by ExitCode
                }
                return 0;
            }
        }
    }

    /** How the CLI prints a service: {@code orders} in the default namespace, else {@code shop/orders}. */
    static String named(String namespace, String service) {
        return namespace.isEmpty() || namespace.equals(Namespaces.DEFAULT) ? service : namespace + "/" + service;
    }

    static String named(MusterCli cli, String service) {
        return named(cli.namespace, service);
    }
}
