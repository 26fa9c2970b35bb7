package io.muster.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.entity.LocalFileMetaOutter.LocalFileMeta;
import com.alipay.sofa.jraft.entity.RaftOutter.SnapshotMeta;
import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotReader;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotWriter;
import com.google.protobuf.Message;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.RegisterCmd;
import io.muster.server.catalog.Catalog;
import io.muster.testkit.UnitTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The review's missing test (issue 18): a snapshot save that fails (the file cannot be written, or
 * the snapshot pool refuses the work) completes jraft's closure once with an error, so jraft keeps
 * its log and tries again later; the state machine goes on, and the next save writes a snapshot
 * that loads into an equal catalog.
 */
@UnitTest
class AFailedSnapshotSaveIsReportedAndTheNextOneWorksTest {

    @TempDir
    Path dir;

    /** Just enough of jraft's writer: a directory and the files added. */
    private static final class DirWriter extends SnapshotWriter {
        final Path path;
        final Set<String> files = new HashSet<>();

        DirWriter(Path path) {
            this.path = path;
        }

        @Override
        public boolean saveMeta(SnapshotMeta meta) {
            return true;
        }

        @Override
        public boolean addFile(String fileName, Message fileMeta) {
            return files.add(fileName);
        }

        @Override
        public boolean removeFile(String fileName) {
            return files.remove(fileName);
        }

        @Override
        public void close(boolean keepDataOnError) {
        }

        @Override
        public void close() {
        }

        @Override
        public boolean init(Void opts) {
            return true;
        }

        @Override
        public void shutdown() {
        }

        @Override
        public String getPath() {
            return path.toString();
        }

        @Override
        public Set<String> listFiles() {
            return Set.copyOf(files);
        }

        @Override
        public Message getFileMeta(String fileName) {
            return files.contains(fileName) ? LocalFileMeta.getDefaultInstance() : null;
        }
    }

    /** A reader of what a {@link DirWriter} wrote. */
    private static SnapshotReader readerOf(DirWriter w) {
        return new SnapshotReader() {
            @Override
            public SnapshotMeta load() {
                return SnapshotMeta.getDefaultInstance();
            }

            @Override
            public String generateURIForCopy() {
                return null;
            }

            @Override
            public boolean init(Void opts) {
                return true;
            }

            @Override
            public void shutdown() {
            }

            @Override
            public void close() {
            }

            @Override
            public String getPath() {
                return w.getPath();
            }

            @Override
            public Set<String> listFiles() {
                return w.listFiles();
            }

            @Override
            public Message getFileMeta(String fileName) {
                return w.getFileMeta(fileName);
            }
        };
    }

    private static Catalog catalogWithOneInstance() {
        Catalog c = new Catalog();
        c.apply(Command.newBuilder().setRegister(RegisterCmd.newBuilder().setInstance(Instance.newBuilder().setService("s").setId("i")
                .setHost("127.0.0.1").setPort(8080).setLeaseTtlMs(10_000))).setNowMs(1).build());
        return c;
    }

    @Test
    void aSnapshotFileThatCannotBeWrittenFailsTheSaveOnceAndTheNextSaveWorks() throws Exception {
        Catalog catalog = catalogWithOneInstance();
        CatalogStateMachine sm = new CatalogStateMachine(catalog, Runnable::run);

        Path broken = Files.createDirectories(dir.resolve("broken"));
        // the temporary file's name is taken by a directory: the write fails
        Files.createDirectories(broken.resolve(CatalogStateMachine.SNAPSHOT_FILE + ".tmp"));
        DirWriter failing = new DirWriter(broken);
        AtomicReference<Status> first = new AtomicReference<>();
        int[] runs = {0};
        sm.onSnapshotSave(failing, st -> {
            runs[0]++;
            first.set(st);
        });
        assertThat(runs[0]).as("closure runs").isEqualTo(1);
        assertThat(first.get().isOk()).isFalse();
        assertThat(first.get().getRaftError()).isEqualTo(RaftError.EIO);
        assertThat(first.get().getErrorMsg()).contains("snapshot save failed");
        assertThat(failing.files).isEmpty();

        DirWriter good = new DirWriter(Files.createDirectories(dir.resolve("good")));
        AtomicReference<Status> second = new AtomicReference<>();
        sm.onSnapshotSave(good, second::set);
        assertThat(second.get().isOk()).as("%s", second.get()).isTrue();
        assertThat(good.files).containsExactly(CatalogStateMachine.SNAPSHOT_FILE);

        Catalog restored = new Catalog();
        assertThat(new CatalogStateMachine(restored, Runnable::run).onSnapshotLoad(readerOf(good))).isTrue();
        long restoredRevision = restored.read(v -> v.revision());
        long savedRevision = catalog.read(v -> v.revision());
        assertThat(restoredRevision).isEqualTo(savedRevision).isPositive();
        List<Instance> restoredInstances = restored.read(v -> List.copyOf(v.allInstances()));
        List<Instance> savedInstances = catalog.read(v -> List.copyOf(v.allInstances()));
        assertThat(restoredInstances).isEqualTo(savedInstances).hasSize(1);
    }

    @Test
    void aSaveTheSnapshotPoolRefusesFailsBusyAtOnce() {
        CatalogStateMachine sm = new CatalogStateMachine(catalogWithOneInstance(), task -> {
            throw new RejectedExecutionException("pool full");
        });
        AtomicReference<Status> status = new AtomicReference<>();
        sm.onSnapshotSave(new DirWriter(dir), status::set);
        assertThat(status.get().isOk()).isFalse();
        assertThat(status.get().getRaftError()).isEqualTo(RaftError.EBUSY);
        assertThat(status.get().getErrorMsg()).contains("pool full");
    }
}
