package io.muster.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.api.v1.CustomCheck;
import io.muster.api.v1.HealthCheck;
import io.muster.api.v1.HealthStatus;
import io.muster.api.v1.Instance;
import io.muster.testkit.UnitTest;
import org.junit.jupiter.api.Test;

/**
 * The documented per-field maxima (docs/api.md) and the total cap agree: an instance with every field
 * at its maximum is accepted, and what remains under the cap is small, so the cap refuses only what
 * no single documented field allows.
 */
@UnitTest
class DocumentedMaximaFitTest {

    /** Every field at its documented maximum, ASCII text. */
    static Instance largestValid() {
        Instance.Builder b = Instance.newBuilder()
                .setService("s".repeat(64))
                .setId("i".repeat(128))
                .setNamespace("n".repeat(63))
                .setHost("h".repeat(253))
                .setPort(65535)
                .setWeight(10_000)
                .setZone("z".repeat(64))
                .setLeaseTtlMs(Rules.MAX_TTL_MS)
                .setInitialHealth(HealthStatus.UNHEALTHY);
        for (int i = 0; i < Rules.MAX_TAGS; i++) {
            b.addTags(String.format("%02d", i) + "t".repeat(Rules.MAX_TAG_CHARS - 2));
        }
        for (int i = 0; i < Rules.MAX_METADATA; i++) {
            b.putMetadata(String.format("%02d", i) + "k".repeat(Rules.MAX_METADATA_KEY_CHARS - 2), "v".repeat(Rules.MAX_METADATA_VALUE_CHARS));
        }
        // a custom check with a full config is the largest check kind
        for (int c = 0; c < Rules.MAX_CHECKS; c++) {
            CustomCheck.Builder custom = CustomCheck.newBuilder().setType("t".repeat(64));
            for (int i = 0; i < Rules.MAX_CUSTOM_CONFIG; i++) {
                custom.putConfig(String.format("%02d", i) + "k".repeat(Rules.MAX_CUSTOM_CONFIG_KEY_CHARS - 2),
                        "v".repeat(Rules.MAX_CUSTOM_CONFIG_CHARS / Rules.MAX_CUSTOM_CONFIG - Rules.MAX_CUSTOM_CONFIG_KEY_CHARS));
            }
            b.addChecks(HealthCheck.newBuilder().setName(c + "n".repeat(63)).setCustom(custom)
                    .setIntervalMs(3_600_000).setTimeoutMs(60_000).setRise(100).setFall(100));
        }
        return b.build();
    }

    @Test
    void anInstanceWithEveryFieldAtItsDocumentedMaximumIsAccepted() {
        Instance max = largestValid();
        assertThat(max.getSerializedSize()).as("bytes of the largest valid instance").isLessThanOrEqualTo(Rules.MAX_INSTANCE_BYTES);
        assertThat(Rules.registered(max)).isEqualTo(max);
        // docs/api.md states the figure: keep it true
        assertThat(max.getSerializedSize()).isBetween(110 * 1024, 111 * 1024);
    }

    @Test
    void eightHttpChecksWithEveryOptionAtItsMaximumFit() {
        Instance.Builder b = largestValid().toBuilder().clearChecks();
        for (int c = 0; c < Rules.MAX_CHECKS; c++) {
            io.muster.api.v1.HttpCheck.Builder http = io.muster.api.v1.HttpCheck.newBuilder().setPath("/" + "p".repeat(1023))
                    .setPort(65535).setExpectedStatus(599).setScheme("https").setMethod("OPTIONS");
            for (int s = 0; s < Rules.MAX_EXPECTED_STATUSES; s++) {
                http.addExpectedStatuses(500 + s);
            }
            // the shared budget: headers, body and CA together
            int perHeader = (Rules.MAX_CHECK_OPTION_CHARS - 2048) / Rules.MAX_HTTP_HEADERS;
            for (int h = 0; h < Rules.MAX_HTTP_HEADERS; h++) {
                http.putHeaders(String.format("X-%02d", h), "v".repeat(perHeader - 4));
            }
            http.setExpectedBody("b".repeat(1024)).setTlsCaPem("-----BEGIN CERTIFICATE-----" + "c".repeat(1024 - 27));
            b.addChecks(HealthCheck.newBuilder().setName(c + "n".repeat(63)).setHttp(http)
                    .setIntervalMs(3_600_000).setTimeoutMs(60_000).setRise(100).setFall(100));
        }
        Instance max = b.build();
        assertThat(Rules.registered(max)).isEqualTo(max);
        assertThat(max.getSerializedSize()).as("bytes with eight maximal HTTP checks").isLessThanOrEqualTo(Rules.MAX_INSTANCE_BYTES);
    }

    @Test
    void oneEntryMoreThanTheMaximaIsRefusedByItsOwnRuleNotByTheCap() {
        Instance max = largestValid();
        assertThatThrownBy(() -> Rules.instance(max.toBuilder().putMetadata("one-more", "v").build()))
                .hasMessageStartingWith("instance.metadata: 65 entries (expected: at most 64)");
        HealthCheck first = max.getChecks(0);
        HealthCheck longer = first.toBuilder().setCustom(first.getCustom().toBuilder().putConfig("00" + "k".repeat(62), "v".repeat(65))).build();
        assertThatThrownBy(() -> Rules.instance(max.toBuilder().setChecks(0, longer).build()))
                .hasMessageStartingWith("instance.checks[0].custom.config: 4097 chars (expected: at most 4096 chars of keys and values)");
    }
}
