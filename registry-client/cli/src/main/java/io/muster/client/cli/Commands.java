package io.muster.client.cli;

import io.muster.api.v1.Event;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HttpCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.api.v1.MembersResponse;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.ServiceSummary;
import io.muster.api.v1.TcpCheck;
import io.muster.client.DiscoverFilter;
import io.muster.client.Registration;
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
        if (cli.json) {
            instances.forEach(cli::printJson);
            return;
        }
        Table t = new Table("SERVICE", "ID", "ADDRESS", "HEALTH", "REASON", "WEIGHT", "ZONE", "TAGS", "REVISION");
        for (Instance i : instances) {
            t.row(i.getService(), i.getId(), i.getHost() + ":" + i.getPort(), i.getHealth(), i.getHealthReason(),
                    i.getWeight(), i.getZone(), String.join(",", i.getTagsList()), i.getModRevision());
        }
        t.print(cli.out());
    }

    @Command(name = "register", description = "Register an instance (with --keep: keep it alive until Ctrl-C, then deregister)")
    static final class Register implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;
        @Option(names = "--service", required = true)
        String service;
        @Option(names = "--id", description = "Instance id (default host:port)")
        String id = "";
        @Option(names = "--host", required = true)
        String host;
        @Option(names = "--port", required = true)
        int port;
        @Option(names = "--tag", description = "Tag (repeatable)")
        List<String> tags = new ArrayList<>();
        @Option(names = "--meta", description = "Metadata key=value (repeatable)")
        Map<String, String> metadata = new LinkedHashMap<>();
        @Option(names = "--weight")
        int weight;
        @Option(names = "--zone")
        String zone = "";
        @Option(names = "--ttl-ms", description = "Lease TTL (default 10000)")
        long ttlMs;
        @Option(names = "--http-check", description = "Path of an HTTP health check on the instance's port")
        String httpCheck;
        @Option(names = "--tcp-check", description = "Add a TCP connect check on the instance's port")
        boolean tcpCheck;
        @Option(names = "--check-interval-ms", description = "Interval of the checks (default 5000)")
        int checkIntervalMs;
        @Option(names = "--keep", description = "Keep the lease alive until interrupted")
        boolean keep;

        @Override
        public Integer call() throws Exception {
            Instance.Builder b = Instance.newBuilder().setService(service).setId(id).setHost(host).setPort(port)
                    .addAllTags(tags).putAllMetadata(metadata).setWeight(weight).setZone(zone).setLeaseTtlMs(ttlMs);
            if (httpCheck != null) {
                b.addChecks(HealthCheck.newBuilder().setHttp(HttpCheck.newBuilder().setPath(httpCheck)).setIntervalMs(checkIntervalMs));
            }
            if (tcpCheck) {
                b.addChecks(HealthCheck.newBuilder().setTcp(TcpCheck.getDefaultInstance()).setIntervalMs(checkIntervalMs));
            }
            try (RegistryClient client = cli.client()) {
                if (!keep) {
                    RegisterResponse r = client.registerOnce(b.build());
                    if (cli.json) {
                        cli.printJson(r);
                    } else {
                        cli.out().printf("registered %s/%s lease %d ttl %d ms at revision %d%n", service, r.getInstanceId(),
                                r.getLeaseId(), r.getLeaseTtlMs(), r.getRevision());
                        cli.out().flush();
                    }
                    return 0;
                }
                CountDownLatch stop = new CountDownLatch(1);
                try (Registration reg = client.register(b.build())) {
                    cli.out().printf("registered %s/%s lease %d; keeping it alive (Ctrl-C deregisters)%n", service,
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

    @Command(name = "deregister", description = "Remove an instance")
    static final class Deregister implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;
        @Parameters(index = "0", paramLabel = "SERVICE")
        String service;
        @Parameters(index = "1", paramLabel = "INSTANCE_ID")
        String id;

        @Override
        public Integer call() {
            try (RegistryClient client = cli.client()) {
                var r = client.deregister(service, id);
                if (cli.json) {
                    cli.printJson(r);
                } else {
                    cli.out().println(r.getFound() ? "deregistered " + service + "/" + id + " at revision " + r.getRevision()
                            : "no instance " + service + "/" + id);
                    cli.out().flush();
                }
                return r.getFound() ? 0 : 3;
            }
        }
    }

    @Command(name = "list", description = "List services with instance counts, or the instances of one service")
    static final class ListServices implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;
        @Parameters(arity = "0..1", paramLabel = "SERVICE")
        String service;

        @Override
        public Integer call() {
            try (RegistryClient client = cli.client()) {
                if (service != null) {
                    printInstances(cli, client.discover(service, DiscoverFilter.all()));
                    return 0;
                }
                List<ServiceSummary> services = client.listServices();
                if (cli.json) {
                    services.forEach(cli::printJson);
                    return 0;
                }
                Table t = new Table("SERVICE", "INSTANCES", "HEALTHY");
                services.forEach(s -> t.row(s.getName(), s.getInstances(), s.getHealthy()));
                t.print(cli.out());
                return 0;
            }
        }
    }

    @Command(name = "discover", description = "Instances of a service")
    static final class Discover implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;
        @Parameters(paramLabel = "SERVICE")
        String service;
        @Option(names = "--healthy", description = "Only routable instances")
        boolean healthy;
        @Option(names = "--tag", description = "Required tag (repeatable)")
        List<String> tags = new ArrayList<>();
        @Option(names = "--zone")
        String zone = "";
        @Option(names = "--local", description = "Read the answering member's state (may lag)")
        boolean local;

        @Override
        public Integer call() {
            try (RegistryClient client = cli.client()) {
                DiscoverFilter f = new DiscoverFilter(healthy, tags, zone, Map.of(), local);
                printInstances(cli, client.discover(service, f));
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
                 Watch w = client.watch(new LinkedHashSet<>(services), from, new WatchListener() {
                     @Override
                     public void onSnapshot(List<Instance> instances, long revision) {
                         if (cli.json) {
                             instances.forEach(cli::printJson);
                         } else {
                             cli.out().printf("# snapshot at revision %d: %d instances%n", revision, instances.size());
                             printInstances(cli, instances);
                         }
                     }

                     @Override
                     public void onEvents(List<Event> events) {
                         for (Event e : events) {
                             if (cli.json) {
                                 cli.printJson(e);
                             } else {
                                 Instance i = e.getInstance();
                                 cli.out().printf("%d %-14s %s/%s %s:%d %s%s%n", e.getRevision(), e.getType(), i.getService(), i.getId(),
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
                    throw status.asRuntimeException(); // printed as "muster: CODE: description", exit 1
                }
                return 0;
            }
        }
    }

    static void printMembers(MusterCli cli, List<Member> members) {
        Table t = new Table("ID", "RAFT", "GRPC", "ROLE", "ALIVE");
        members.forEach(m -> t.row(m.getId(), m.getRaftAddress(), m.getGrpcAddress(), m.getLeader() ? "leader" : "follower", m.getAlive()));
        t.print(cli.out());
    }

    @Command(name = "members", description = "Members of the cluster")
    static final class Members implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;

        @Override
        public Integer call() {
            try (RegistryClient client = cli.client()) {
                MembersResponse r = client.members();
                if (cli.json) {
                    cli.printJson(r);
                } else {
                    printMembers(cli, r.getMembersList());
                    cli.out().printf("term %d, answered by %s at %s%n", r.getTerm(), r.getAnsweredBy(), Instant.now());
                    cli.out().flush();
                }
                return 0;
            }
        }
    }

    @Command(name = "leader", description = "The current leader")
    static final class Leader implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;

        @Override
        public Integer call() {
            try (RegistryClient client = cli.client()) {
                Member m = client.leader();
                if (cli.json) {
                    cli.printJson(m);
                } else {
                    printMembers(cli, List.of(m));
                }
                return 0;
            }
        }
    }

    @Command(name = "member", description = "Change membership", subcommands = {MemberAdd.class, MemberRemove.class})
    static final class MemberCmd implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;

        @Override
        public Integer call() {
            cli.out().println("usage: muster member add|remove ...");
            cli.out().flush();
            return 2;
        }
    }

    @Command(name = "add", description = "Add a running node (started with --join) as a voting member")
    static final class MemberAdd implements Callable<Integer> {
        @ParentCommand
        MemberCmd parent;
        @Option(names = "--id", required = true)
        String id;
        @Option(names = "--raft", required = true, description = "host:port of its Raft transport")
        String raft;
        @Option(names = "--grpc", required = true, description = "host:port of its gRPC API")
        String grpc;
        @Option(names = "--peer", required = true, description = "host:port of its member-to-member listener")
        String peer;

        @Override
        public Integer call() {
            try (RegistryClient client = parent.cli.client()) {
                var r = client.addMember(Member.newBuilder().setId(id).setRaftAddress(raft).setGrpcAddress(grpc).setPeerAddress(peer).build());
                printMembers(parent.cli, r.getMembersList());
                return 0;
            }
        }
    }

    @Command(name = "remove", description = "Remove a member")
    static final class MemberRemove implements Callable<Integer> {
        @ParentCommand
        MemberCmd parent;
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            try (RegistryClient client = parent.cli.client()) {
                var r = client.removeMember(id);
                printMembers(parent.cli, r.getMembersList());
                return 0;
            }
        }
    }

    @Command(name = "transfer-leadership", description = "Hand leadership to another member")
    static final class TransferLeadership implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;
        @Option(names = "--to", description = "Target member id (default: the most up-to-date follower)")
        String to = "";

        @Override
        public Integer call() {
            try (RegistryClient client = cli.client()) {
                client.transferLeadership(to);
                cli.out().println("leadership transfer started");
                cli.out().flush();
                return 0;
            }
        }
    }

    @Command(name = "snapshot", description = "Backups", subcommands = {SnapshotSave.class})
    static final class SnapshotCmd implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;

        @Override
        public Integer call() {
            cli.out().println("usage: muster snapshot save FILE");
            cli.out().flush();
            return 2;
        }
    }

    @Command(name = "save", description = "Write a consistent backup of the catalog to FILE")
    static final class SnapshotSave implements Callable<Integer> {
        @ParentCommand
        SnapshotCmd parent;
        @Parameters(paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() throws Exception {
            try (RegistryClient client = parent.cli.client(); OutputStream out = Files.newOutputStream(file)) {
                long revision = client.saveSnapshot(out);
                parent.cli.out().printf("saved snapshot at revision %d to %s%n", revision, file);
                parent.cli.out().flush();
                return 0;
            }
        }
    }
}
