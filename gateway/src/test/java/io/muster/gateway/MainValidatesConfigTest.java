package io.muster.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.testkit.UnitTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@UnitTest
class MainValidatesConfigTest {

  @TempDir
  Path dir;

  private static String captureErr(Runnable r) {
    PrintStream saved = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setErr(saved);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void anInvalidConfigExitsWith2AndSaysWhere() throws Exception {
    Path file = dir.resolve("gateway.yaml");
    Files.writeString(file, "listeners: [{port: 8080}]\nroutes:\n  - service: web\n    strategy: fastest\n");
    int[] code = new int[1];
    String err = captureErr(() -> code[0] = Main.run("--config", file.toString()));
    assertEquals(2, code[0]);
    assertTrue(err.contains("gateway.yaml: line 4, column 5: routes[0].strategy: unknown strategy 'fastest'"), err);
  }

  @Test
  void checkValidatesWithoutStarting() throws Exception {
    Path file = dir.resolve("ok.yaml");
    Files.writeString(file, """
        listeners: [{host: 127.0.0.1, port: 0}]
        routes: [{service: web}]
        static-instances:
          web: [{host: 127.0.0.1, port: 9}]
        """);
    assertEquals(0, Main.run("--config", file.toString(), "--check"));
  }

  @Test
  void aMissingOptionIsAUsageError() {
    int[] code = new int[1];
    String err = captureErr(() -> code[0] = Main.run());
    assertEquals(2, code[0]);
    assertTrue(err.contains("Missing required option: '--config=FILE'"), err);
  }
}
