package io.muster.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.api.v1.CatalogSnapshot;
import io.muster.api.v1.Instance;
import io.muster.internal.v1.Command;
import io.muster.internal.v1.RegisterCmd;
import io.muster.testkit.UnitTest;
import org.junit.jupiter.api.Test;

/**
 * Stored instances hold one object for each repeated string (service, tags, metadata keys and
 * values, health reason), whether they came from a command or from a snapshot, while ids and hosts
 * stay their own; the values, and so the catalog's answers, are unchanged.
 */
@UnitTest
class InstancesOfOneServiceShareTheirRepeatedStringsTest {

    /** A new String object each time, as parsing a request or a log entry gives. */
    private static String fresh(String s) {
        return new String(s.toCharArray());
    }

    private static Instance instance(String id) {
        return Instance.newBuilder().setService(fresh("payments")).setId(id).setHost(fresh("10.0.0.1")).setPort(8080)
                .addTags(fresh("v1")).putMetadata(fresh("version"), fresh("1.0.0")).setLeaseTtlMs(5000).build();
    }

    private static void assertShared(Instance a, Instance b) {
        assertThat(a.getNamespace()).isSameAs(b.getNamespace());
        assertThat(a.getService()).isSameAs(b.getService());
        assertThat(a.getTags(0)).isSameAs(b.getTags(0));
        String keyA = a.getMetadataMap().keySet().iterator().next();
        String keyB = b.getMetadataMap().keySet().iterator().next();
        assertThat(keyA).isSameAs(keyB);
        assertThat(a.getMetadataMap().get(keyA)).isSameAs(b.getMetadataMap().get(keyB));
        assertThat(a.getHealthReason()).isSameAs(b.getHealthReason());
        assertThat(a.getHost()).isNotSameAs(b.getHost());
    }

    @Test
    void registeredInstancesShareThem() {
        Catalog catalog = new Catalog();
        Instance a = catalog.apply(Command.newBuilder().setNowMs(1000).setRegister(RegisterCmd.newBuilder().setInstance(instance("a"))).build()).instance();
        Instance b = catalog.apply(Command.newBuilder().setNowMs(1000).setRegister(RegisterCmd.newBuilder().setInstance(instance("b"))).build()).instance();
        assertShared(a, b);
        assertThat(a.getService()).isEqualTo("payments");
        assertThat(a.getMetadataMap()).containsExactly(java.util.Map.entry("version", "1.0.0"));
    }

    @Test
    void instancesLoadedFromASnapshotShareThem() throws Exception {
        Catalog source = new Catalog();
        source.apply(Command.newBuilder().setNowMs(1000).setRegister(RegisterCmd.newBuilder().setInstance(instance("a"))).build());
        source.apply(Command.newBuilder().setNowMs(1000).setRegister(RegisterCmd.newBuilder().setInstance(instance("b"))).build());
        // parsed from bytes, as a snapshot file is: every string its own object
        CatalogSnapshot parsed = CatalogSnapshot.parseFrom(source.snapshot().toByteArray());
        Catalog restored = new Catalog();
        restored.restore(parsed);
        Instance a = restored.read(v -> v.instance(new InstanceKey(Namespaces.DEFAULT, "payments", "a")));
        Instance b = restored.read(v -> v.instance(new InstanceKey(Namespaces.DEFAULT, "payments", "b")));
        assertShared(a, b);
        assertThat(restored.snapshot().getInstancesList()).isEqualTo(source.snapshot().getInstancesList());
    }
}
