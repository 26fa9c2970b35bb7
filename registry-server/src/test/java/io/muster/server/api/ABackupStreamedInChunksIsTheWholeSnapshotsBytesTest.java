package io.muster.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.Instance;
import io.muster.api.v1.Member;
import io.muster.testkit.UnitTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link BackupStream} serializes a backup a chunk at a time instead of all at once: the chunks,
 * joined, are exactly {@code toByteString()} of the snapshot, each holds whole instances up to the
 * chunk size, and an empty catalog is one empty last chunk, as before.
 */
@UnitTest
class ABackupStreamedInChunksIsTheWholeSnapshotsBytesTest {

    private static CatalogSnapshot snapshot(int instances) {
        CatalogSnapshot.Builder b = CatalogSnapshot.newBuilder().setRevision(instances + 7L).setNextLeaseId(instances + 1L)
                .addMembers(Member.newBuilder().setId("n1").setRaftAddress("127.0.0.1:7001").setGrpcAddress("127.0.0.1:9001"));
        for (int k = 0; k < instances; k++) {
            b.addInstances(Instance.newBuilder().setService("svc-" + k % 13).setId("i-" + k).setHost("10.0.0." + k % 250)
                    .setPort(8080).addTags("v1").putMetadata("version", "1.0." + k % 3).setLeaseId(k + 1L).setModRevision(k + 1L));
        }
        return b.build();
    }

    private static List<ByteString> chunks(CatalogSnapshot s, int chunkBytes) {
        BackupStream stream = new BackupStream(s, null, chunkBytes);
        List<ByteString> out = new ArrayList<>();
        while (!stream.isComplete()) {
            out.add(stream.nextChunk());
            assertThat(out).hasSizeLessThan(100_000);
        }
        return out;
    }

    @Test
    void joinedChunksAreTheSnapshotsBytes() {
        CatalogSnapshot s = snapshot(5_000);
        List<ByteString> chunks = chunks(s, 4_096);
        assertThat(chunks.size()).isGreaterThan(10);
        assertThat(ByteString.copyFrom(chunks)).isEqualTo(s.toByteString());
        int largestInstance = s.getInstancesList().stream().mapToInt(Instance::getSerializedSize).max().orElseThrow();
        for (ByteString c : chunks) {
            assertThat(c.size()).isLessThan(4_096 + largestInstance + 8);
        }
    }

    @Test
    void aChunkLargerThanTheBackupIsOneChunk() {
        CatalogSnapshot s = snapshot(20);
        List<ByteString> chunks = chunks(s, 1 << 20);
        assertThat(chunks).containsExactly(s.toByteString());
    }

    @Test
    void anEmptyCatalogIsOneEmptyChunk() {
        assertThat(chunks(CatalogSnapshot.getDefaultInstance(), 1 << 20)).containsExactly(ByteString.EMPTY);
    }
}
