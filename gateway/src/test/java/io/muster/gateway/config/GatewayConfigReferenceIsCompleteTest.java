package io.muster.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muster.gateway.Main;
import io.muster.testkit.UnitTest;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * docs/gateway-config.md names every key of the gateway's YAML file by its full path
 * ({@code routes[].canary.percent}, {@code static-instances.<service>[].weight}), read from the
 * configuration records the loader fills, and every flag: a new key without a line there fails here.
 */
@UnitTest
class GatewayConfigReferenceIsCompleteTest {

  static final Path DOC = Path.of("..", "docs", "gateway-config.md");

  @Test
  void everyKeyIsInTheReference() throws IOException {
    String doc = Files.readString(DOC);
    List<String> keys = new ArrayList<>();
    collect(GatewayConfig.class, "", keys);
    List<String> missing = keys.stream().filter(k -> !doc.contains("`" + k + "`")).toList();
    assertTrue(missing.isEmpty(), () -> "keys not in docs/gateway-config.md: " + missing);
  }

  @Test
  void theKeyPathsAreReadFromTheRecords() {
    List<String> keys = new ArrayList<>();
    collect(GatewayConfig.class, "", keys);
    // a few known paths: the walk reaches lists, maps of lists and nested records
    assertTrue(keys.containsAll(List.of("listeners[].idle-timeout-ms", "routes[].canary.percent",
        "routes[].hash-key.cookie", "static-instances.<service>[].weight", "retry-budget.min-per-second",
        "shutdown-drain-ms")), keys::toString);
    assertEquals(keys.size(), keys.stream().distinct().count());
  }

  @Test
  void everyFlagIsInTheReference() throws IOException {
    String doc = Files.readString(DOC);
    for (OptionSpec o : new CommandLine(new Main()).getCommandSpec().options()) {
      assertTrue(doc.contains("`" + o.longestName()), () -> o.longestName() + " not in docs/gateway-config.md");
    }
  }

  /** Adds the YAML path of every component of {@code record} (kebab-case, as the loader names them). */
  private static void collect(Class<?> record, String prefix, List<String> out) {
    for (RecordComponent c : record.getRecordComponents()) {
      String key = prefix + kebab(c.getName());
      out.add(key);
      descend(c.getGenericType(), key, out);
    }
  }

  private static void descend(Type type, String path, List<String> out) {
    if (type instanceof Class<?> cls && cls.isRecord()) {
      collect(cls, path + ".", out);
    } else if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
      Type element = p.getActualTypeArguments()[0];
      if (element instanceof Class<?> cls && cls.isRecord()) {
        collect(cls, path + "[].", out);
      }
    } else if (type instanceof ParameterizedType p && p.getRawType() == Map.class) {
      descend(p.getActualTypeArguments()[1], path + ".<service>", out);
    }
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
  }
}
