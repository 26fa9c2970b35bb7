package io.muster.client;

import io.muster.api.v1.Instance;
import io.muster.api.v1.WatchResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * The failsafe copy of one service's last known instances, {@code <dir>/<service>.snapshot}: a
 * {@code WatchResponse} of kind SNAPSHOT. Written to a temp file, forced to disk and renamed with
 * ATOMIC_MOVE, so a reader sees the old copy or the new one, never half of one.
 */
final class SnapshotFile {

    /** What was read back. */
    record Content(long revision, List<Instance> instances) {
        Content {
            instances = List.copyOf(instances);
        }
    }

    private final Path file;

    /**
     * {@code <service>.snapshot} in the default namespace (the name it had before namespaces), else
     * {@code <namespace>_<service>.snapshot}: neither name holds a {@code _}, so names never collide.
     */
    SnapshotFile(Path dir, String namespace, String service) {
        // names are validated by the registry ([a-z0-9.-]); keep the file name safe anyway
        String name = (namespace.isEmpty() || namespace.equals(Namespaces.DEFAULT) ? "" : namespace + "_") + service;
        this.file = dir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "-") + ".snapshot");
    }

    Path path() {
        return file;
    }

    void write(long revision, List<Instance> instances) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                WatchResponse.newBuilder().setKind(WatchResponse.Kind.SNAPSHOT).setRevision(revision)
                        .addAllInstances(instances).setSnapshotComplete(true).build().writeTo(out);
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    Optional<Content> read() throws IOException {
        try {
            WatchResponse r = WatchResponse.parseFrom(Files.readAllBytes(file));
            return Optional.of(new Content(r.getRevision(), r.getInstancesList()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }
}
