package io.muster.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.muster.server.config.FileConfig;
import io.muster.testkit.UnitTest;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * docs/server-config.md names every flag of {@code muster-server} and every key of its YAML file: a
 * new flag or key without a line there fails here.
 */
@UnitTest
class ServerConfigReferenceIsCompleteTest {

    static final Path DOC = Path.of("..", "docs", "server-config.md");

    /** The doc with {@code --[no-]x} read as {@code --x}, so a negatable flag is found by its name. */
    static String doc() throws IOException {
        return Files.readString(DOC).replace("--[no-]", "--");
    }

    @Test
    void everyFlagIsInTheReference() throws IOException {
        String doc = doc();
        List<String> missing = new ArrayList<>();
        for (OptionSpec o : new CommandLine(new Main()).getCommandSpec().options()) {
            if (!doc.contains("`" + o.longestName())) {
                missing.add(o.longestName());
            }
        }
        assertThat(missing).as("flags of muster-server not in docs/server-config.md").isEmpty();
    }

    @Test
    void everyYamlKeyIsInTheReference() throws IOException {
        String doc = doc();
        List<String> missing = new ArrayList<>();
        for (RecordComponent c : FileConfig.class.getRecordComponents()) {
            String key = key(c);
            if (!doc.contains("`" + key + "`")) {
                missing.add(key);
            }
        }
        assertThat(missing).as("YAML keys of FileConfig not in docs/server-config.md").isEmpty();
    }

    @Test
    void everyYamlKeyIsAFlagWithTheSameName() {
        // the doc's promise: a key is the flag without its dashes
        List<String> flags = new CommandLine(new Main()).getCommandSpec().options().stream()
                .map(OptionSpec::longestName).toList();
        for (RecordComponent c : FileConfig.class.getRecordComponents()) {
            assertThat(flags).contains("--" + key(c));
        }
    }

    /** The YAML key of a component ({@code @JsonProperty} reaches the accessor: it has no record-component target). */
    private static String key(RecordComponent c) {
        JsonProperty p = c.getAccessor().getAnnotation(JsonProperty.class);
        assertThat(p).as("@JsonProperty on FileConfig.%s", c.getName()).isNotNull();
        return p.value();
    }
}
