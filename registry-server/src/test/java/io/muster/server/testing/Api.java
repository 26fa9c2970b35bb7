package io.muster.server.testing;

import io.grpc.Channel;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.ClusterGrpc;
import io.muster.api.v1.Consistency;
import io.muster.api.v1.DeregisterRequest;
import io.muster.api.v1.DeregisterResponse;
import io.muster.api.v1.DiscoverRequest;
import io.muster.api.v1.DiscoverResponse;
import io.muster.api.v1.Instance;
import io.muster.api.v1.RegisterRequest;
import io.muster.api.v1.RegisterResponse;
import io.muster.api.v1.RegistryGrpc;
import io.muster.api.v1.SnapshotChunk;
import io.muster.api.v1.SnapshotRequest;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/** Blocking gRPC helpers with deadlines, for tests. */
public final class Api {
    private Api() {
    }

    public static RegistryGrpc.RegistryBlockingStub registry(Channel ch) {
        return RegistryGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    public static ClusterGrpc.ClusterBlockingStub cluster(Channel ch) {
        return ClusterGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    public static Instance instance(String service, String id, int port) {
        return Instance.newBuilder().setService(service).setId(id).setHost("127.0.0.1").setPort(port).build();
    }

    public static RegisterResponse register(Channel ch, Instance instance) {
        return registry(ch).register(RegisterRequest.newBuilder().setInstance(instance).build());
    }

    public static DeregisterResponse deregister(Channel ch, String service, String id) {
        return registry(ch).deregister(DeregisterRequest.newBuilder().setService(service).setInstanceId(id).build());
    }

    public static DiscoverResponse discover(Channel ch, String service, Consistency consistency) {
        return registry(ch).discover(DiscoverRequest.newBuilder().setService(service).setConsistency(consistency).build());
    }

    /**
     * The answering member's catalog after a read barrier ({@code Cluster.Snapshot}, a backup), its
     * Raft log compacted into a snapshot first when {@code compactLog}.
     */
    public static CatalogSnapshot snapshot(Channel ch, boolean compactLog) {
        Iterator<SnapshotChunk> chunks = cluster(ch).snapshot(SnapshotRequest.newBuilder().setCompactLog(compactLog).build());
        ByteString data = ByteString.EMPTY;
        while (chunks.hasNext()) {
            data = data.concat(chunks.next().getData());
        }
        try {
            return CatalogSnapshot.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(e);
        }
    }
}
