package io.muster.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.muster.testkit.UnitTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@UnitTest
class YamlErrorsNameLineColumnAndKeyTest {

    record Listener(int port, Boolean tls) {
        Listener {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
            }
        }
    }

    record Settings(String name, List<Listener> listeners, Integer maxIdleMs) {
    }

    private final YamlConfigLoader loader = YamlConfigLoader.create();

    @Test
    void aValidFileIsReadWithKebabCaseKeys() {
        Settings s = loader.parse("name: a\nmax-idle-ms: 5\nlisteners:\n  - port: 80\n", "s.yaml", Settings.class);
        assertThat(s).isEqualTo(new Settings("a", List.of(new Listener(80, null)), 5));
    }

    @Test
    void anUnknownNestedKeyNamesItsPathItsLineAndTheKnownKeys() {
        assertThatThrownBy(() -> loader.parse("name: a\nlisteners:\n  - port: 80\n    tsl: true\n", "s.yaml", Settings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessage("s.yaml: line 4, column 5: listeners[0].tsl: unknown key 'tsl' (known keys: port, tls)");
    }

    @Test
    void aValueOfTheWrongTypeNamesTheExpectedType() {
        assertThatThrownBy(() -> loader.parse("name: a\nmax-idle-ms: soon\n", "s.yaml", Settings.class))
                .hasMessage("s.yaml: line 2, column 1: max-idle-ms: 'soon' is not a number");
        assertThatThrownBy(() -> loader.parse("listeners:\n  - port: 80\n    tls: maybe\n", "s.yaml", Settings.class))
                .hasMessage("s.yaml: line 3, column 5: listeners[0].tls: 'maybe' is not true or false");
    }

    @Test
    void aValueTheRecordRefusesCarriesTheRecordsMessage() {
        assertThatThrownBy(() -> loader.parse("listeners:\n  - port: 70000\n", "s.yaml", Settings.class))
                .hasMessage("s.yaml: line 2, column 5: listeners[0]: port: 70000 (expected: 1-65535)");
    }

    @Test
    void brokenYamlIsOneLineWithThePlaceOfTheProblem() {
        assertThatThrownBy(() -> loader.parse("name: a\nlisteners: [\n", "s.yaml", Settings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("s.yaml: line ")
                .hasMessageContaining("invalid YAML: ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aMissingOrUnreadableFileIsOneLine(@TempDir Path dir) {
        assertThatThrownBy(() -> loader.load(dir.resolve("nope.yaml"), Settings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessage(dir.resolve("nope.yaml") + ": no such file");
        assertThatThrownBy(() -> loader.load(dir, Settings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(dir + ": cannot read: ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aFileWithoutADocumentIsNull(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.yaml"), "# nothing yet\n");
        assertThat(loader.load(empty, Settings.class)).isNull();
    }
}
