package io.muster.client.cli;

import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.Member;
import io.muster.api.v1.RestoreResponse;
import io.muster.api.v1.MembersResponse;
import io.muster.api.v1.StatusResponse;
import io.muster.client.RegistryClient;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** The cluster administration subcommands of {@code muster}: membership, leadership, backups. */
final class ClusterCommands {
    private ClusterCommands() {
    }

    static void printMembers(Output o, List<Member> members) {
        printMembers(o, members, null);
    }

    /** With {@code statuses} (a {@code Members} answer with {@code with_status}): each member's own term and applied index too. */
    static void printMembers(Output o, List<Member> members, Map<String, StatusResponse> statuses) {
        List<String> headers = new ArrayList<>(List.of("ID", "RAFT", "GRPC"));
        if (o.wide()) {
            headers.add("PEER");
        }
        headers.addAll(List.of("ROLE", "ALIVE"));
        if (statuses != null) {
            headers.addAll(List.of("TERM", "APPLIED"));
        }
        Table t = new Table(headers.toArray(String[]::new));
        for (Member m : members) {
            List<Object> row = new ArrayList<>(List.of(m.getId(), m.getRaftAddress(), m.getGrpcAddress()));
            if (o.wide()) {
                row.add(m.getPeerAddress());
            }
            row.addAll(List.of(m.getLeader() ? "leader" : "follower", m.getAlive()));
            if (statuses != null) {
                // a member that did not answer: its numbers are unknown, not 0
                StatusResponse s = statuses.get(m.getId());
                row.addAll(s == null ? List.<Object>of("-", "-") : List.<Object>of(s.getTerm(), s.getAppliedIndex()));
            }
            t.row(row.toArray());
        }
        t.print(o.out());
    }

    /** Prints a membership answer: the members as a table, or the whole message as one document. */
    static void printMembers(Output o, com.google.protobuf.MessageOrBuilder answer, List<Member> members) {
        if (o.structured()) {
            o.document(answer);
        } else {
            printMembers(o, members);
        }
    }

    @Command(name = "members", description = "Members of the cluster as the leader sees them, with each member's own term and "
            + "applied index (asked by the member answering; alive: it answered within 1 s)")
    static final class Members implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;

        @Override
        public Integer call() {
            try (RegistryClient client = cli.client()) {
                MembersResponse r = client.members(true);
                Output o = cli.output();
                if (o.structured()) {
                    o.document(r);
                } else {
                    printMembers(o, r.getMembersList(), r.getStatusesMap());
                }
                if (!o.structured()) {
                    o.out().printf("term %d, answered by %s%n", r.getTerm(), r.getAnsweredBy());
                    o.out().flush();
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
                printMembers(cli.output(), m, List.of(m));
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
            throw cli.missingSubcommand("member");
        }
    }

    @Command(name = "add", description = "Add a running node (started with --join) as a voting member")
    static final class MemberAdd implements Callable<Integer> {
        @ParentCommand
        MemberCmd parent;
        @Option(names = "--id", required = true, description = "Id of the new member, e.g. n4")
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
                printMembers(parent.cli.output(), r, r.getMembersList());
                return 0;
            }
        }
    }

    @Command(name = "remove", description = "Remove a member")
    static final class MemberRemove implements Callable<Integer> {
        @ParentCommand
        MemberCmd parent;
        @Parameters(paramLabel = "ID", description = "Id of the member to remove")
        String id;

        @Override
        public Integer call() {
            try (RegistryClient client = parent.cli.client()) {
                var r = client.removeMember(id);
                printMembers(parent.cli.output(), r, r.getMembersList());
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

    @Command(name = "snapshot", description = "Backups of the catalog", subcommands = {SnapshotSave.class, SnapshotRestore.class, SnapshotStatus.class})
    static final class SnapshotCmd implements Callable<Integer> {
        @ParentCommand
        MusterCli cli;

        @Override
        public Integer call() {
            throw cli.missingSubcommand("snapshot");
        }
    }

    @Command(name = "save", description = "Write a consistent backup of the catalog to FILE")
    static final class SnapshotSave implements Callable<Integer> {
        @ParentCommand
        SnapshotCmd parent;
        @Parameters(paramLabel = "FILE", description = "File to write (replaced if it exists)")
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

    /** Reads a backup file and checks that it is one; the file's problem as a usage error (exit 2). */
    static CatalogSnapshot readBackup(Path file, byte[] bytes) {
        try {
            return CatalogSnapshot.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(file + ": not a muster backup (muster snapshot save writes one): " + e.getMessage());
        }
    }

    static String sha256(byte[] bytes) {
        return com.google.common.hash.Hashing.sha256().hashBytes(bytes).toString();
    }

    @Command(name = "restore", description = {"Load a backup FILE into a running cluster that is still empty (online restore).",
            "Refused (exit 1, FAILED_PRECONDITION) if the cluster holds anything; for a new cluster's first start see muster-server --restore."})
    static final class SnapshotRestore implements Callable<Integer> {
        @ParentCommand
        SnapshotCmd parent;
        @Parameters(paramLabel = "FILE", description = "Backup written by muster snapshot save")
        Path file;
        @Option(names = "--dry-run", description = "Only check FILE and print what it holds; send nothing")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            byte[] bytes = Files.readAllBytes(file);
            CatalogSnapshot backup = readBackup(file, bytes);
            Output o = parent.cli.output();
            if (dryRun) {
                printStatus(o, file, bytes, backup);
                return 0;
            }
            try (RegistryClient client = parent.cli.client()) {
                RestoreResponse r = client.restoreSnapshot(bytes);
                if (o.structured()) {
                    o.document(r);
                } else {
                    o.out().printf("restored %d instances from %s: catalog at revision %d%n", r.getInstances(), file, r.getRevision());
                    o.out().flush();
                }
                return 0;
            }
        }
    }

    static void printStatus(Output o, Path file, byte[] bytes, CatalogSnapshot backup) {
        long services = backup.getInstancesList().stream().map(io.muster.api.v1.Instance::getService).distinct().count();
        if (o.structured()) {
            o.document(Output.object().put("file", file.toString()).put("bytes", bytes.length).put("sha256", sha256(bytes))
                    .put("revision", backup.getRevision()).put("services", services).put("instances", backup.getInstancesCount())
                    .put("members", backup.getMembersCount()).put("nextLeaseId", backup.getNextLeaseId()));
            return;
        }
        Table t = new Table("REVISION", "SERVICES", "INSTANCES", "MEMBERS", "BYTES", "SHA256");
        t.row(backup.getRevision(), services, backup.getInstancesCount(), backup.getMembersCount(), bytes.length, sha256(bytes));
        t.print(o.out());
    }

    @Command(name = "status", description = "Check a backup FILE offline and print what it holds (revision, counts, size, sha256)")
    static final class SnapshotStatus implements Callable<Integer> {
        @ParentCommand
        SnapshotCmd parent;
        @Parameters(paramLabel = "FILE", description = "Backup written by muster snapshot save")
        Path file;

        @Override
        public Integer call() throws Exception {
            byte[] bytes = Files.readAllBytes(file);
            printStatus(parent.cli.output(), file, bytes, readBackup(file, bytes));
            return 0;
        }
    }
}
