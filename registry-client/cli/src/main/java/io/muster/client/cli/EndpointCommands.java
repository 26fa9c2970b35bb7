package io.muster.client.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.ListServicesResponse;
import io.muster.api.v1.Member;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.StatusRequest;
import io.muster.api.v1.StatusResponse;
import io.muster.client.RegistryClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code muster endpoint status|health}: each member asked on its own (like etcdctl's endpoint
 * commands), so a lagging or partitioned member shows, where {@code members} gives the leader's
 * view only. Every endpoint is asked at once, each call with the command's deadline.
 */
final class EndpointCommands {
    private EndpointCommands() {
    }

    @Command(name = "endpoint", description = "Ask each member on its own: status, health",
            subcommands = {EndpointStatus.class, EndpointHealth.class})
    static final class EndpointCmd implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;

        @Option(names = "--cluster", scope = picocli.CommandLine.ScopeType.INHERIT,
                description = "Ask every member of the cluster (the gRPC addresses in the member list) instead of --targets")
        boolean cluster;

        @Override
        public Integer call() {
            throw cli.missingSubcommand("endpoint");
        }

        List<String> endpoints() {
            if (!cluster) {
                return cli.targets();
            }
            try (RegistryClient client = cli.client()) {
                return client.members().getMembersList().stream().map(Member::getGrpcAddress).filter(a -> !a.isEmpty()).toList();
            }
        }

        /** Opens one channel per endpoint, runs {@code ask} on each, and closes them when all answered. */
        <T> List<CompletableFuture<T>> askEach(List<String> endpoints, Asker<T> ask) {
            List<ManagedChannel> channels = new ArrayList<>();
            List<CompletableFuture<T>> answers = new ArrayList<>();
            try {
                for (String e : endpoints) {
                    ManagedChannel ch = cli.channel(e).build();
                    channels.add(ch);
                    answers.add(ask.ask(e, ch));
                }
                CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).handle((v, t) -> null).join();
                return answers;
            } finally {
                channels.forEach(ManagedChannel::shutdownNow);
            }
        }
    }

    interface Asker<T> {
        CompletableFuture<T> ask(String endpoint, ManagedChannel channel);
    }

    /** A unary call as a future (the generated async stub takes an observer). */
    static <Q, R> CompletableFuture<R> unary(BiConsumer<Q, StreamObserver<R>> call, Q request) {
        CompletableFuture<R> f = new CompletableFuture<>();
        call.accept(request, new StreamObserver<R>() {
            @Override
            public void onNext(R value) {
                f.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                f.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                f.complete(null);
            }
        });
        return f;
    }

    static String error(CompletableFuture<?> f) {
        try {
            f.join();
            return "";
        } catch (RuntimeException e) {
            Status s = ExitCode.statusOf(e);
            return s == null ? String.valueOf(io.muster.api.Causes.unwrap(e)) : s.getCode() + ": " + s.getDescription();
        }
    }

    @Command(name = "status", description = "Each member's id, leader, term, commit and applied index, revision, version and data size")
    static final class EndpointStatus implements Callable<Integer> {
        @ParentCommand
        EndpointCmd parent;

        @Override
        public Integer call() {
            MusterCli cli = parent.cli;
            List<String> endpoints = parent.endpoints();
            long deadline = cli.timeoutMs;
            List<CompletableFuture<StatusResponse>> answers = parent.askEach(endpoints, (endpoint, ch) -> unary(
                    ClusterGrpc.newStub(ch).withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)::status, StatusRequest.getDefaultInstance()));
            Output o = cli.output();
            boolean allAnswered = answers.stream().allMatch(a -> error(a).isEmpty());
            if (o.structured()) {
                ObjectNode doc = Output.object();
                ArrayNode list = doc.putArray("endpoints");
                for (int i = 0; i < endpoints.size(); i++) {
                    ObjectNode e = list.addObject().put("endpoint", endpoints.get(i));
                    String err = error(answers.get(i));
                    if (err.isEmpty()) {
                        e.set("status", Output.tree(answers.get(i).join()));
                    } else {
                        e.put("error", err);
                    }
                }
                o.document(doc);
            } else {
                Table t = o.wide()
                        ? new Table("ENDPOINT", "ID", "LEADER", "TERM", "COMMITTED", "APPLIED", "LAST_INDEX", "REVISION", "VERSION",
                                "DATA_SIZE", "RAFT", "LEADER_ID", "ERROR")
                        : new Table("ENDPOINT", "ID", "LEADER", "TERM", "APPLIED", "REVISION", "VERSION", "DATA_SIZE", "ERROR");
                for (int i = 0; i < endpoints.size(); i++) {
                    String err = error(answers.get(i));
                    StatusResponse s = err.isEmpty() ? answers.get(i).join() : StatusResponse.getDefaultInstance();
                    String size = err.isEmpty() ? bytes(s.getDataSizeBytes()) : "";
                    t.row(o.wide()
                            ? new Object[] {endpoints.get(i), s.getId(), s.getIsLeader(), s.getTerm(), s.getCommittedIndex(),
                                s.getAppliedIndex(), s.getLastLogIndex(), s.getRevision(), s.getVersion(), size, s.getRaftAddress(),
                                s.getLeaderId(), err}
                            : new Object[] {endpoints.get(i), s.getId(), s.getIsLeader(), s.getTerm(), s.getAppliedIndex(),
                                s.getRevision(), s.getVersion(), size, err});
                }
                t.print(o.out());
            }
            return allAnswered ? ExitCode.OK : ExitCode.UNAVAILABLE;
        }
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** One endpoint's health: answered, knows a leader, and served a linearizable read (so a quorum is reachable). */
    record Health(String endpoint, boolean healthy, long tookMs, String error) {
    }

    @Command(name = "health", description = "Whether each member knows a leader and serves a linearizable read within the deadline")
    static final class EndpointHealth implements Callable<Integer> {
        @ParentCommand
        EndpointCmd parent;

        @Override
        public Integer call() {
            MusterCli cli = parent.cli;
            List<String> endpoints = parent.endpoints();
            long deadline = cli.timeoutMs;
            List<CompletableFuture<Health>> answers = parent.askEach(endpoints, (endpoint, ch) -> {
                long start = System.nanoTime();
                CompletableFuture<StatusResponse> status = unary(
                        ClusterGrpc.newStub(ch).withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)::status, StatusRequest.getDefaultInstance());
                // the read goes through ReadIndex on the leader: it succeeds only with a quorum behind it
                CompletableFuture<ListServicesResponse> read = unary(
                        RegistryGrpc.newStub(ch).withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)::listServices,
                        ListServicesRequest.newBuilder().setConsistency(Consistency.LINEARIZABLE).build());
                return CompletableFuture.allOf(status, read).handle((v, t) -> {
                    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    String err = error(status);
                    if (err.isEmpty() && status.join().getLeaderId().isEmpty()) {
                        err = "no leader known";
                    }
                    if (err.isEmpty()) {
                        err = error(read);
                    }
                    return new Health(endpoint, err.isEmpty(), took, err);
                });
            });
            List<Health> health = answers.stream().map(CompletableFuture::join).toList();
            Output o = cli.output();
            if (o.structured()) {
                ObjectNode doc = Output.object();
                ArrayNode list = doc.putArray("endpoints");
                health.forEach(h -> list.addObject().put("endpoint", h.endpoint()).put("health", h.healthy())
                        .put("tookMs", h.tookMs()).put("error", h.error()));
                o.document(doc);
            } else {
                Table t = new Table("ENDPOINT", "HEALTH", "TOOK", "ERROR");
                health.forEach(h -> t.row(h.endpoint(), h.healthy(), h.tookMs() + " ms", h.error()));
                t.print(o.out());
            }
            return health.stream().allMatch(Health::healthy) ? ExitCode.OK : ExitCode.UNAVAILABLE;
        }
    }
}
