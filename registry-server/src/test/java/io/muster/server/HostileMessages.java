package io.muster.server;

import io.muster.api.v1.AddMemberRequest;
import io.muster.api.v1.CheckReport;
import io.muster.api.v1.CustomCheck;
import io.muster.api.v1.DeregisterRequest;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.GrpcCheck;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HttpCheck;
import io.muster.api.v1.Instance;
import io.muster.api.v1.KeepAliveRequest;
import io.muster.api.v1.ListServicesRequest;
import io.muster.api.v1.Member;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RemoveMemberRequest;
import io.muster.api.v1.SnapshotRequest;
import io.muster.api.v1.TcpCheck;
import io.muster.api.v1.TransferLeadershipRequest;
import io.muster.api.v1.TtlCheck;
import io.muster.api.v1.UpdateHealthRequest;
import io.muster.api.v1.WatchRequest;
import io.muster.server.config.PeerSpec;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Hostile request bodies from one seeded random source: edge-case protobuf messages (empty, huge and
 * control-character strings, extreme and negative numbers, unknown enum values, 100,000-element
 * repeated fields), random bytes, mutated encodings of valid messages and deeply nested groups.
 * The same seed gives the same sequence. Not thread-safe: one generator per thread.
 *
 * <p>For the destructive {@code Cluster} calls it only produces values a member must refuse (see
 * {@link #safeForAdmin}).
 */
final class HostileMessages {

    /** Larger than the default 4 MiB inbound message limit. */
    static final int OVERSIZE = 5 * 1024 * 1024;
    static final int HUGE_REPEATED = 100_000;

    private final SplittableRandom random;
    private final Set<String> memberIds;
    private final List<Long> realLeases;

    HostileMessages(long seed, Set<String> memberIds, List<Long> realLeases) {
        this.random = new SplittableRandom(seed);
        this.memberIds = Set.copyOf(memberIds);
        this.realLeases = List.copyOf(realLeases);
    }

    private String overLimit;

    SplittableRandom random() {
        return random;
    }

    /**
     * Why the last typed message is over a limit every member must enforce (a 100,000-element list,
     * a body over the 4 MiB message limit), or null; resets it.
     */
    String takeOverLimit() {
        String r = overLimit;
        overLimit = null;
        return r;
    }

    private void over(String why) {
        overLimit = overLimit == null ? why : overLimit;
    }

    private boolean chance(int percent) {
        return random.nextInt(100) < percent;
    }

    private <T> T pick(List<T> items) {
        return items.get(random.nextInt(items.size()));
    }

    String string() {
        return switch (random.nextInt(16)) {
            case 0 -> "";
            case 1 -> "svc-a";
            case 2 -> "a".repeat(pick(List.of(63, 64, 65, 128, 129, 253, 254, 1024, 1025)));
            case 3 -> "\u0000";
            case 4 -> "x\n\r\t\u0007\u001b[31my";
            case 5 -> "BAD NAME";
            case 6 -> "../../etc/passwd";
            case 7 -> "%s%n%x{}${jndi:ldap://127.0.0.1/a}";
            case 8 -> "\uD83D\uDE00\u202E\u00e9\uFEFF";
            case 9 -> "\uD800"; // a lone surrogate
            case 10 -> "-starts-with-dash";
            case 11 -> "127.0.0.1";
            case 12 -> "[::1]:1";
            case 13 -> "y".repeat(4096);
            case 14 -> randomChars(random.nextInt(1, 40));
            default -> "ok-" + random.nextInt(1000);
        };
    }

    /** A string for one field of a message: rarely 1 MiB, or over the message limit. Elements of repeated fields use {@link #string()}. */
    String fieldString() {
        if (!chance(2)) {
            return string();
        }
        if (chance(50)) {
            return "z".repeat(1 << 20);
        }
        over("a " + OVERSIZE + "-char string (over the 4 MiB message limit)");
        return "z".repeat(OVERSIZE);
    }

    private String randomChars(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append((char) random.nextInt(0, chance(80) ? 128 : 0xFFFF));
        }
        return b.toString();
    }

    /** A host the health checks may probe: loopback or not an address at all, never a real remote name. */
    String host() {
        return switch (random.nextInt(8)) {
            case 0 -> "127.0.0.1";
            case 1 -> "::1";
            case 2 -> "localhost";
            case 3 -> "";
            case 4 -> "a".repeat(254);
            case 5 -> "host with space";
            case 6 -> "\u0000\n";
            default -> "127.0.0." + random.nextInt(1, 255);
        };
    }

    int int32() {
        return switch (random.nextInt(14)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> -1; // 2^32-1 as a uint32
            case 3 -> Integer.MAX_VALUE;
            case 4 -> Integer.MIN_VALUE;
            case 5 -> 65535;
            case 6 -> 65536;
            case 7 -> 70000;
            case 8 -> 999;
            case 9 -> 1000;
            case 10 -> 3_600_000;
            case 11 -> 3_600_001;
            case 12 -> 10_001;
            default -> random.nextInt();
        };
    }

    long int64() {
        return switch (random.nextInt(12)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> Long.MAX_VALUE;
            case 3 -> Long.MIN_VALUE;
            case 4 -> 1L << 61;
            case 5 -> 999;
            case 6 -> 1000;
            case 7 -> 3_600_000;
            case 8 -> 3_600_001;
            case 9 -> realLeases.isEmpty() ? 1 : pick(realLeases);
            case 10 -> 4_294_967_296L;
            default -> random.nextLong();
        };
    }

    int enumValue() {
        return switch (random.nextInt(5)) {
            case 0 -> random.nextInt(0, 6);
            case 1 -> 7;
            case 2 -> -1;
            case 3 -> Integer.MAX_VALUE;
            default -> random.nextInt();
        };
    }

    /** How many elements a repeated field gets: mostly a few, around the documented limits, rarely 100,000. */
    int count(int documentedMax) {
        if (chance(2)) {
            over(HUGE_REPEATED + " elements in a repeated field");
            return HUGE_REPEATED;
        }
        return switch (random.nextInt(4)) {
            case 0 -> 0;
            case 1 -> documentedMax;
            case 2 -> documentedMax + 1;
            default -> random.nextInt(0, 4);
        };
    }

    HealthCheck check() {
        HealthCheck.Builder c = HealthCheck.newBuilder().setName(string()).setIntervalMs(int32()).setTimeoutMs(int32())
                .setRise(int32()).setFall(int32());
        switch (random.nextInt(6)) {
            case 0 -> c.setHttp(HttpCheck.newBuilder().setPath(string()).setPort(int32()).setExpectedStatus(int32()).setScheme(string()));
            case 1 -> c.setTcp(TcpCheck.newBuilder().setPort(int32()));
            case 2 -> c.setGrpc(GrpcCheck.newBuilder().setPort(int32()).setService(string()));
            case 3 -> c.setTtl(TtlCheck.newBuilder().setTtlMs(int32()));
            case 4 -> c.setCustom(CustomCheck.newBuilder().setType(string()).putConfig(string(), string()));
            default -> {
            }
        }
        return c.build();
    }

    /**
     * Half the time a valid instance with one to three fields made hostile (so each edge value is
     * tried alone, where a gap in one check is not hidden by another), else every field hostile.
     */
    Instance instance() {
        return chance(50) ? nearlyValid() : anyInstance();
    }

    private Instance nearlyValid() {
        Instance.Builder i = Instance.newBuilder().setService("hostile-" + random.nextInt(8)).setId("i-" + random.nextInt(50))
                .setHost("127.0.0.1").setPort(random.nextInt(1, 65536)).setLeaseTtlMs(random.nextInt(1000, 60_000))
                .addTags("t1").putMetadata("k", "v");
        // only some of any's fields are copied: its over-limit mark holds only if they are
        String before = overLimit;
        Instance any = anyInstance();
        overLimit = before;
        int fields = random.nextInt(1, 4);
        for (int f = 0; f < fields; f++) {
            switch (random.nextInt(12)) {
                case 0 -> i.setService(any.getService());
                case 1 -> i.setId(any.getId());
                case 2 -> i.setHost(any.getHost());
                case 3 -> i.setPort(int32());
                case 4 -> i.setWeight(int32());
                case 5 -> i.setZone(any.getZone());
                case 6 -> i.setLeaseTtlMs(int64());
                case 7 -> i.clearTags().addAllTags(any.getTagsList());
                case 8 -> i.clearMetadata().putAllMetadata(any.getMetadataMap());
                case 9 -> i.clearChecks().addAllChecks(any.getChecksCount() > 0 ? any.getChecksList() : List.of(check()));
                case 10 -> i.setInitialHealthValue(enumValue());
                default -> i.setLeaseId(int64()).setHealthValue(enumValue()).setCreateRevision(int64()).setModRevision(int64());
            }
        }
        if (i.getTagsCount() >= HUGE_REPEATED || i.getMetadataCount() >= HUGE_REPEATED || i.getChecksCount() >= HUGE_REPEATED) {
            over(HUGE_REPEATED + " elements in a repeated field");
        }
        return i.build();
    }

    private Instance anyInstance() {
        Instance.Builder i = Instance.newBuilder()
                .setService(chance(50) ? "hostile-" + random.nextInt(8) : string())
                .setId(chance(50) ? "i-" + random.nextInt(50) : string())
                .setHost(host())
                .setPort(chance(50) ? random.nextInt(1, 65536) : int32())
                .setWeight(chance(50) ? 0 : int32())
                .setZone(chance(50) ? "" : fieldString())
                .setLeaseTtlMs(chance(50) ? pick(List.of(0L, 1000L, 5000L)) : int64())
                .setInitialHealthValue(chance(70) ? 0 : enumValue());
        int tags = count(32);
        for (int t = 0; t < tags; t++) {
            i.addTags(tags > 100 ? "t" + t : string());
        }
        int metadata = count(64);
        for (int m = 0; m < metadata; m++) {
            i.putMetadata(metadata > 100 ? "k" + m : string() + m, metadata > 100 ? "v" : string());
        }
        int checks = chance(70) ? 0 : count(8);
        for (int c = 0; c < Math.min(checks, 1000); c++) {
            i.addChecks(check());
        }
        if (chance(20)) {
            // fields the registry sets: must be ignored in a request
            i.setLeaseId(int64()).setHealthValue(enumValue()).setHealthReason(string()).setCreateRevision(int64())
                    .setModRevision(int64()).setRegisteredAtMs(int64()).setHealthChangedAtMs(int64());
        }
        return i.build();
    }

    CheckReport report() {
        return CheckReport.newBuilder().setCheckName(string()).setResultValue(enumValue()).setNote(string()).build();
    }

    byte[] register() {
        return (chance(5) ? RegisterRequest.getDefaultInstance() : RegisterRequest.newBuilder().setInstance(instance()).build()).toByteArray();
    }

    byte[] deregister() {
        return DeregisterRequest.newBuilder().setService(string()).setInstanceId(fieldString()).build().toByteArray();
    }

    byte[] updateHealth() {
        UpdateHealthRequest.Builder b = UpdateHealthRequest.newBuilder().setService(fieldString()).setInstanceId(string());
        if (chance(80)) {
            b.setReport(report());
        }
        return b.build().toByteArray();
    }

    byte[] discover() {
        DiscoverRequest.Builder b = DiscoverRequest.newBuilder().setService(fieldString()).setHealthyOnly(chance(50))
                .setZone(chance(50) ? "" : string()).setConsistencyValue(chance(50) ? random.nextInt(2) : enumValue());
        int tags = count(32);
        for (int t = 0; t < tags; t++) {
            b.addTags(tags > 100 ? "t" + t : string());
        }
        int metadata = count(64);
        for (int m = 0; m < metadata; m++) {
            b.putMetadata(metadata > 100 ? "k" + m : string() + m, string());
        }
        return b.build().toByteArray();
    }

    byte[] listServices() {
        return ListServicesRequest.newBuilder().setConsistencyValue(chance(50) ? random.nextInt(2) : enumValue()).build().toByteArray();
    }

    byte[] watch() {
        WatchRequest.Builder b = WatchRequest.newBuilder().setStartRevision(chance(30) ? 0 : int64())
                .setProgressIntervalMs(chance(30) ? 0 : int32());
        int services = count(1000);
        for (int s = 0; s < services; s++) {
            b.addServices(services > 10 ? "s" + s : string());
        }
        return b.build().toByteArray();
    }

    KeepAliveRequest keepAlive() {
        KeepAliveRequest.Builder b = KeepAliveRequest.newBuilder().setLeaseId(int64());
        int reports = chance(70) ? 0 : count(16);
        for (int r = 0; r < reports; r++) {
            b.addReports(reports > 100 ? CheckReport.newBuilder().setCheckName("c" + r).setResult(io.muster.api.v1.CheckResult.PASS).build() : report());
        }
        return b.build();
    }

    byte[] snapshot() {
        return SnapshotRequest.newBuilder().setCompactLog(chance(20)).build().toByteArray();
    }

    /** A member id that is never a current member and never empty (empty means "any follower"). */
    String notAMember() {
        String s;
        do {
            s = chance(30) ? "n" + random.nextInt(4, 1000) : string();
        } while (s.isEmpty() || memberIds.contains(s));
        return s;
    }

    byte[] transferLeadership() {
        return TransferLeadershipRequest.newBuilder().setTargetId(notAMember()).build().toByteArray();
    }

    byte[] removeMember() {
        return RemoveMemberRequest.newBuilder().setId(notAMember()).build().toByteArray();
    }

    /** A member whose spec {@link PeerSpec} refuses, so a member must refuse to add it. */
    byte[] addMember() {
        while (true) {
            Member m = Member.newBuilder().setId(chance(50) ? notAMember() : string())
                    .setRaftAddress(address()).setGrpcAddress(address()).setPeerAddress(address())
                    .setLeader(chance(50)).setAlive(chance(50)).build();
            AddMemberRequest r = AddMemberRequest.newBuilder().setMember(m).build();
            if (safeForAdmin("muster.v1.Cluster/AddMember", r.toByteArray())) {
                return r.toByteArray();
            }
        }
    }

    private String address() {
        return switch (random.nextInt(6)) {
            case 0 -> "127.0.0.1:" + int32();
            case 1 -> "127.0.0.1";
            case 2 -> ":9000";
            case 3 -> "::1:9000";
            case 4 -> "";
            default -> string();
        };
    }

    /**
     * Whether {@code bytes} sent to {@code method} can only be refused: anything for the read-only
     * calls; for TransferLeadership, RemoveMember and AddMember only bytes that do not decode, or
     * decode to a target that is not a member, or to a member spec that does not validate. A valid
     * destructive request is not hostile input: its authorization belongs to the security issue.
     */
    boolean safeForAdmin(String method, byte[] bytes) {
        try {
            switch (method) {
                case "muster.v1.Cluster/TransferLeadership" -> {
                    String target = TransferLeadershipRequest.parseFrom(bytes).getTargetId();
                    return !target.isEmpty() && !memberIds.contains(target);
                }
                case "muster.v1.Cluster/RemoveMember" -> {
                    return !memberIds.contains(RemoveMemberRequest.parseFrom(bytes).getId());
                }
                case "muster.v1.Cluster/AddMember" -> {
                    Member m = AddMemberRequest.parseFrom(bytes).getMember();
                    try {
                        new PeerSpec(m.getId(), m.getRaftAddress(), m.getGrpcAddress(), m.getPeerAddress());
                        return false;
                    } catch (IllegalArgumentException refused) {
                        return true;
                    }
                }
                default -> {
                    return true;
                }
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException undecodable) {
            return true;
        }
    }

    /** Random bytes: mostly short, sometimes 64 KiB, rarely over the message limit. */
    byte[] randomBytes() {
        int n = chance(1) ? OVERSIZE : chance(5) ? 64 * 1024 : random.nextInt(0, 64);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        return b;
    }

    /** {@code valid} with one to eight byte-level mutations (flip, overwrite, insert, delete, duplicate, truncate). */
    byte[] mutate(byte[] valid) {
        byte[] b = valid.length == 0 ? new byte[] {0} : valid.clone();
        int mutations = random.nextInt(1, 9);
        for (int m = 0; m < mutations && b.length > 0; m++) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(6)) {
                case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b[at] = (byte) random.nextInt(256);
                case 2 -> {
                    byte[] c = new byte[b.length + 1];
                    System.arraycopy(b, 0, c, 0, at);
                    c[at] = (byte) (int) pick(List.of(0x00, 0x08, 0x0a, 0x7f, 0x80, 0xff));
                    System.arraycopy(b, at, c, at + 1, b.length - at);
                    b = c;
                }
                case 3 -> {
                    int end = Math.min(b.length, at + random.nextInt(1, 8));
                    byte[] c = new byte[b.length - (end - at)];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, end, c, at, b.length - end);
                    b = c;
                }
                case 4 -> {
                    int end = Math.min(b.length, at + random.nextInt(1, 16));
                    byte[] c = Arrays.copyOf(b, b.length + end - at);
                    System.arraycopy(b, at, c, b.length, end - at);
                    b = c;
                }
                default -> b = Arrays.copyOf(b, at);
            }
        }
        return b;
    }

    /**
     * Nested groups of an unknown field, deeper than protobuf's recursion limit (100), or a
     * length-delimited field that claims 2 GiB.
     */
    byte[] deep() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (chance(30)) {
            out.write(0x0a); // field 1, length-delimited
            out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07});
            out.writeBytes(new byte[16]);
            return out.toByteArray();
        }
        int depth = chance(10) ? 100_000 : random.nextInt(101, 5000);
        for (int d = 0; d < depth; d++) {
            out.writeBytes(new byte[] {(byte) 0xfb, 0x7f}); // field 2047, start group (varint 0x3ffb)
        }
        for (int d = 0; d < depth; d++) {
            out.writeBytes(new byte[] {(byte) 0xfc, 0x7f}); // field 2047, end group
        }
        return out.toByteArray();
    }
}
