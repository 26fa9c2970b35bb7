package io.muster.gateway.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.muster.config.ConfigException;
import io.muster.config.YamlConfigLoader;
import io.muster.gateway.lb.Strategy;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads {@link GatewayConfig} from YAML through the loader the registry server uses too
 * ({@link YamlConfigLoader}): every problem is a one-line {@link ConfigException} naming the file,
 * line, column and key.
 *
 * <pre>{@code
 * GatewayConfig config = ConfigLoader.load(Path.of("gateway.yaml"));
 * }</pre>
 */
public final class ConfigLoader {

  private static final YamlConfigLoader LOADER =
      YamlConfigLoader.create(new SimpleModule("muster-gateway").addDeserializer(Strategy.class, new StrategyDeserializer()));

  private ConfigLoader() {}

  public static GatewayConfig load(Path file) {
    return nonEmpty(LOADER.load(file, GatewayConfig.class), file.toString());
  }

  /** @param source name used in messages (usually the file name) */
  public static GatewayConfig parse(String yaml, String source) {
    return nonEmpty(LOADER.parse(yaml, source, GatewayConfig.class), source);
  }

  private static GatewayConfig nonEmpty(GatewayConfig config, String source) {
    if (config == null) {
      throw new ConfigException(source + ": empty configuration", null);
    }
    return config;
  }

  private static final class StrategyDeserializer extends StdScalarDeserializer<Strategy> {
    StrategyDeserializer() {
      super(Strategy.class);
    }

    @Override
    public Strategy deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      String text = p.getValueAsString();
      try {
        return Strategy.parse(text);
      } catch (IllegalArgumentException e) {
        throw InvalidFormatException.from(p, e.getMessage(), text, Strategy.class);
      }
    }
  }
}
