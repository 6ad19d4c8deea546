package dev.r3.actors.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds the effective configuration: {@code --set} overrides, then the experiment file (which may
 * {@code include "base.conf"}), then {@code reference.conf}. An override names a key with or
 * without its {@code r3.} prefix; a key that {@code reference.conf} does not know is refused (typos
 * fail loudly), except under {@code r3.env.params}, whose keys belong to the environment.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  public static R3Config load(Path file, List<String> overrides) {
    return R3Config.from(resolve(file, overrides));
  }

  /** The resolved config tree (pekko and kamon sections included). */
  public static Config resolve(Path file, List<String> overrides) {
    Config reference = ConfigFactory.defaultReference();
    Config base = ConfigFactory.empty();
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("config file " + file + " does not exist");
      }
      try {
        base =
            ConfigFactory.parseFile(
                file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
      } catch (ConfigException e) {
        throw new IllegalArgumentException("config file " + file + ": " + e.getMessage(), e);
      }
    }
    Config over = ConfigFactory.empty();
    for (String kv : overrides == null ? List.<String>of() : overrides) {
      over = parseOverride(kv, reference).withFallback(over);
    }
    try {
      return over.withFallback(base).withFallback(ConfigFactory.load()).resolve();
    } catch (ConfigException e) {
      throw new IllegalArgumentException("config: " + e.getMessage(), e);
    }
  }

  static Config parseOverride(String kv, Config reference) {
    int eq = kv.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("--set expects key=value, got '" + kv + "'");
    }
    String key = kv.substring(0, eq).trim();
    String value = kv.substring(eq + 1).trim();
    if (!key.startsWith("r3.") && !key.startsWith("pekko.") && !key.startsWith("kamon.")) {
      key = "r3." + key;
    }
    boolean free =
        key.startsWith("r3.env.params.") || key.startsWith("pekko.") || key.startsWith("kamon.");
    if (!free && !reference.hasPath(key)) {
      throw new IllegalArgumentException("unknown config key " + key + " (see reference.conf)");
    }
    try {
      return ConfigFactory.parseString(key + " = " + quoteIfBare(value));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("--set " + kv + ": " + e.getMessage(), e);
    }
  }

  /** HOCON accepts most bare values; quote the ones it would misread (paths with colons, empty). */
  private static String quoteIfBare(String v) {
    if (v.isEmpty()) {
      return "\"\"";
    }
    if (v.startsWith("\"") || v.startsWith("{") || v.startsWith("[")) {
      return v;
    }
    if (v.matches("[A-Za-z0-9_.+\\-]+( ?[a-z]+)?")) {
      return v;
    }
    return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
