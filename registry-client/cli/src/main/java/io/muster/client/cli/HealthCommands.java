package io.muster.client.cli;

import io.grpc.ManagedChannel;
import io.muster.api.v1.CheckReport;
import io.muster.api.v1.CheckResult;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.UpdateHealthRequest;
import io.muster.api.v1.UpdateHealthResponse;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code muster health report}: a TTL check's pass, warn or fail, for scripts and cron jobs that watch an instance. */
final class HealthCommands {
    private HealthCommands() {
    }

    @Command(name = "health", description = "Report on an instance's health", subcommands = {HealthReport.class})
    static final class HealthCmd implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;

        @Override
        public Integer call() {
            throw cli.missingSubcommand("health");
        }
    }

    /** The results a report may carry, lowercase as typed. */
    enum Result {
        PASS(CheckResult.PASS), WARN(CheckResult.WARN), FAIL(CheckResult.FAIL);

        final CheckResult proto;

        Result(CheckResult proto) {
            this.proto = proto;
        }
    }

    static final class Results implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return List.of("pass", "warn", "fail").iterator();
        }
    }

    @Command(name = "report", description = {"Report a TTL check's result (Registry.UpdateHealth): pass, warn or fail.",
            "The member forwards it to the check's owner; a check without a report within its TTL fails."})
    static final class HealthReport implements Callable<Integer> {
        @ParentCommand
        HealthCmd parent;
        @Parameters(index = "0", paramLabel = "SERVICE", description = "Service of the instance")
        String service;
        @Parameters(index = "1", paramLabel = "INSTANCE_ID", description = "Id of the instance")
        String id;
        @Parameters(index = "2", paramLabel = "RESULT", completionCandidates = Results.class,
                description = "${COMPLETION-CANDIDATES}")
        Result result;
        @Option(names = "--check", description = "Name of the TTL check (default ${DEFAULT-VALUE}, the name --ttl-check-ms gives)",
                defaultValue = "ttl")
        String check;
        @Option(names = "--note", description = "Shown as the health reason (up to 256 chars)")
        String note = "";

        @Override
        public Integer call() {
            MusterCli cli = parent.cli;
            UpdateHealthRequest req = UpdateHealthRequest.newBuilder().setNamespace(cli.oneNamespace()).setService(service).setInstanceId(id)
                    .setReport(CheckReport.newBuilder().setCheckName(check).setResult(result.proto).setNote(note)).build();
            UpdateHealthResponse r = call(cli, req);
            Output o = cli.output();
            if (o.structured()) {
                o.document(r);
            } else {
                o.out().printf("%s/%s %s: health %s at revision %d%n", Commands.named(cli, service), id, check, r.getHealth(), r.getRevision());
                o.out().flush();
            }
            return ExitCode.OK;
        }

        /** Any member takes the report and forwards it to the owner of the instance's checks; try the targets in turn. */
        static UpdateHealthResponse call(MusterCli cli, UpdateHealthRequest req) {
            RuntimeException last = null;
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(cli.timeoutMs);
            for (String target : cli.targets()) {
                long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                ManagedChannel ch = cli.channel(target).build();
                try {
                    CompletableFuture<UpdateHealthResponse> f = EndpointCommands.unary(
                            RegistryGrpc.newStub(ch).withDeadlineAfter(left, TimeUnit.MILLISECONDS)::updateHealth, req);
                    return f.join();
                } catch (RuntimeException e) {
                    last = e;
                    io.grpc.Status s = ExitCode.statusOf(e);
                    if (s == null || ExitCode.of(s.getCode()) != ExitCode.UNAVAILABLE) {
                        throw e; // an answer (not found, invalid, ...): another member would say the same
                    }
                } finally {
                    ch.shutdownNow();
                }
            }
            throw last != null ? last : io.grpc.Status.DEADLINE_EXCEEDED.withDescription("no target answered").asRuntimeException();
        }
    }
}
