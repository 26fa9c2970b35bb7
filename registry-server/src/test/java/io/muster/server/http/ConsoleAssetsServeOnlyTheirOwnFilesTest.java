package io.muster.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.muster.testkit.UnitTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

@UnitTest
class ConsoleAssetsServeOnlyTheirOwnFilesTest {

    @Test
    void everyFileOfTheConsoleDirectoryIsListedAndLoads() throws IOException {
        Path dir = Path.of("src/main/resources", ConsoleAssets.BASE);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("a file added to %s must be listed in ConsoleAssets.FILES to be served", dir)
                    .containsExactlyInAnyOrderElementsOf(ConsoleAssets.FILES);
        }
        ConsoleAssets assets = ConsoleAssets.load();
        for (String name : ConsoleAssets.FILES) {
            assertThat(assets.find(name)).hasValueSatisfying(a -> assertThat(a.bytes()).isNotEmpty());
        }
        assertThat(assets.find("").orElseThrow().name()).isEqualTo("index.html");
        assertThat(assets.find("console.js").orElseThrow().contentType()).isEqualTo("text/javascript; charset=utf-8");
        assertThat(assets.find("console.css").orElseThrow().contentType()).isEqualTo("text/css; charset=utf-8");
        assertThat(assets.find("index.html").orElseThrow().contentType()).isEqualTo("text/html; charset=utf-8");
    }

    @Test
    void aPathThatIsNotOneOfTheFilesFindsNothing() {
        ConsoleAssets assets = ConsoleAssets.load();
        for (String path : new String[] {"..", "../console.js", "./console.js", "%2e%2e/console.js", "..%2fconsole.js", "/console.js",
                "console.js/", "console.js/..", "io/muster/server/http/console/index.html", "../../io/muster/server/http/HttpApiHandler.class",
                "ConsoleAssets.class", "/etc/passwd", "index.html%00", "INDEX.HTML", "console.js?x=1"}) {
            assertThat(assets.find(path)).as(path).isEmpty();
        }
    }
}
