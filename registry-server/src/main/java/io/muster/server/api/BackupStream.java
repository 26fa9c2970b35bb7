package io.muster.server.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.grpc.stub.ServerCallStreamObserver;
import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.Instance;
import io.muster.api.v1.SnapshotChunk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A backup ({@code Cluster.Snapshot}) serialized one chunk at a time, as the transport takes them.
 * Before, the whole serialized catalog was built first ({@code toByteString()}) and every chunk queued
 * at once: at a million instances ~110 MB in one array plus as much again in the transport's queue
 * when the client reads slower than the member writes. Now at most one chunk (and what gRPC buffers
 * below its ready threshold) is in memory at a time.
 *
 * <p>The bytes are those of {@code snapshot.toByteString()}: a message's encoding is its fields in
 * number order, so field 1 ({@code revision}), then each instance as field 2, then the encoding of
 * the remaining fields (3 and up) is the same sequence. The snapshot itself is a copy of references
 * (the catalog's immutable instances), taken when the stream starts.
 *
 * <p>Threading: {@link #pump} runs from the call's on-ready handler and once from the thread that
 * starts the stream; it is synchronized, so one pump writes at a time.
 */
final class BackupStream {

    private final long revision;
    private final List<Instance> instances;
    private final ByteString tail;
    private final ServerCallStreamObserver<SnapshotChunk> call;
    private final int chunkBytes;
    private final ByteString.Output buffer;
    private final CodedOutputStream out;
    private boolean started;
    private int next;
    private boolean tailWritten;
    private long emitted;
    private boolean done;

    BackupStream(CatalogSnapshot snapshot, ServerCallStreamObserver<SnapshotChunk> call, int chunkBytes) {
        this.revision = snapshot.getRevision();
        this.instances = snapshot.getInstancesList();
        this.tail = snapshot.toBuilder().clearRevision().clearInstances().build().toByteString();
        this.call = call;
        this.chunkBytes = chunkBytes;
        this.buffer = ByteString.newOutput(chunkBytes + 8192);
        this.out = CodedOutputStream.newInstance(buffer, 8192);
    }

    /** Sends chunks while the transport is ready; the last one carries {@code last = true}, then the call completes. */
    synchronized void pump() {
        while (!done && !call.isCancelled() && call.isReady()) {
            ByteString chunk = nextChunk();
            boolean last = isComplete();
            call.onNext(SnapshotChunk.newBuilder().setRevision(revision).setData(chunk).setLast(last).build());
            if (last) {
                done = true;
                call.onCompleted();
            }
        }
    }

    /** Whether {@link #nextChunk} has returned the whole encoding. */
    boolean isComplete() {
        return tailWritten && out.getTotalBytesWritten() == emitted;
    }

    /**
     * The next slice of the encoding: whole instances until it holds {@code chunkBytes} or more (so a
     * chunk exceeds it by less than one instance), the last one with the fields after the instances.
     */
    ByteString nextChunk() {
        try {
            if (!started) {
                if (revision != 0) {
                    out.writeInt64(CatalogSnapshot.REVISION_FIELD_NUMBER, revision);
                }
                started = true;
            }
            while (next < instances.size() && out.getTotalBytesWritten() - emitted < chunkBytes) {
                out.writeMessage(CatalogSnapshot.INSTANCES_FIELD_NUMBER, instances.get(next++));
            }
            if (next == instances.size() && !tailWritten && out.getTotalBytesWritten() - emitted < chunkBytes) {
                out.writeRawBytes(tail);
                tailWritten = true;
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteString.Output does not fail
        }
        ByteString chunk = buffer.toByteString();
        buffer.reset();
        emitted += chunk.size();
        return chunk;
    }
}
