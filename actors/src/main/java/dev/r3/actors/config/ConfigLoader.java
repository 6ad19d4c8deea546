package dev.r3.actors.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.r3.env.EnvConfigException;
import dev.r3.env.Environments;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the effective configuration: {@code --env} / {@code --env-param} (which replace the
 * environment block), {@code --set} overrides, then the experiment file (which may {@code include
 * "base.conf"}), then {@code reference.conf}. A key that {@code reference.conf} does not know is
 * refused wherever it is written (the file, an include, {@code --set}), naming where and the
 * closest known key, except under {@code r3.env.params}, whose keys belong to the environment
 * (which validates them).
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  /** Free-form: the environment's own parameters. */
  static final String ENV_PARAMS = "r3.env.params";

  public static R3Config load(Path file, List<String> overrides) {
    return load(file, overrides, EnvChoice.NONE);
  }

  public static R3Config load(Path file, List<String> overrides, EnvChoice env) {
    R3Config c = R3Config.from(resolve(file, overrides, env));
    checkEnvSwitch(c, overrides, env);
    return c;
  }

  /** The resolved config tree (pekko and kamon sections included). */
  public static Config resolve(Path file, List<String> overrides) {
    return resolve(file, overrides, EnvChoice.NONE);
  }

  public static Config resolve(Path file, List<String> overrides, EnvChoice env) {
    Config reference = ConfigFactory.defaultReference();
    Config base = ConfigFactory.empty();
    if (file != null) {
      base = ConfigReader.parseFile(file, "config");
      refuseUnknown(ConfigReader.resolved(base, reference), reference);
    }
    if (env.name() != null) {
      base = base.withoutPath("r3.env");
    } else if (env.params() != null) {
      base = base.withoutPath(ENV_PARAMS);
    }
    Config over = ConfigFactory.empty();
    for (String kv : overrides == null ? List.<String>of() : overrides) {
      over = parseOverride(kv, reference).withFallback(over);
    }
    if (env.name() != null) {
      over =
          over.withFallback(
              ConfigFactory.empty()
                  .withValue("r3.env.name", ConfigValueFactory.fromAnyRef(env.name())));
    }
    if (env.params() != null) {
      over =
          over.withFallback(
              ConfigFactory.empty()
                  .withValue(ENV_PARAMS, ConfigValueFactory.fromMap(Map.copyOf(env.params()))));
    }
    try {
      return over.withFallback(base).withFallback(ConfigFactory.load()).resolve();
    } catch (ConfigException e) {
      throw new IllegalArgumentException("config: " + e.getMessage(), e);
    }
  }

  /**
   * An experiment file holds {@code r3 { ... }}, whose every key reference.conf must define, and
   * library sections (pekko, kamon, dispatchers) that their own reference files define.
   */
  static void refuseUnknown(Config file, Config reference) {
    List<String> problems = new ArrayList<>();
    for (var e : file.root().entrySet()) {
      if (!reference.root().containsKey(e.getKey())) {
        problems.add(
            UnknownKeys.unknownKey(e.getKey(), e.getValue().origin(), List.of("r3"))
                + " (an experiment file holds r3 { ... })");
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", problems));
    }
    if (file.hasPath("r3")) {
      UnknownKeys.refuseUnknown(
          file.withOnlyPath("r3"), reference.withOnlyPath("r3"), Set.of(ENV_PARAMS));
    }
  }

  /** The {@code --set key=value} words alone (no file, no defaults), each key checked. */
  public static Config overrides(List<String> sets) {
    Config reference = ConfigFactory.defaultReference();
    Config over = ConfigFactory.empty();
    for (String kv : sets) {
      over = parseOverride(kv, reference).withFallback(over);
    }
    return over;
  }

  static Config parseOverride(String kv, Config reference) {
    int eq = kv.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("--set expects key=value, got '" + kv + "'");
    }
    String key = fullKey(kv.substring(0, eq).trim());
    String value = kv.substring(eq + 1).trim();
    boolean free =
        key.startsWith(ENV_PARAMS + ".") || key.startsWith("pekko.") || key.startsWith("kamon.");
    if (!free && !reference.hasPathOrNull(key)) {
      String near = UnknownKeys.closest(key, UnknownKeys.paths(reference.withOnlyPath("r3")));
      throw new IllegalArgumentException(
          "unknown config key "
              + key
              + " (--set "
              + kv
              + ")"
              + (near == null ? "" : "; did you mean " + near + "?")
              + " (every key is documented in reference.conf)");
    }
    try {
      return ConfigFactory.parseString(key + " = " + quoteIfBare(value));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("--set " + kv + ": " + e.getMessage(), e);
    }
  }

  /** {@code learner.lr} means {@code r3.learner.lr}; pekko and kamon keys stay as written. */
  static String fullKey(String key) {
    if (!key.startsWith("r3.") && !key.startsWith("pekko.") && !key.startsWith("kamon.")) {
      return "r3." + key;
    }
    return key;
  }

  /**
   * {@code --set env.name=sort} keeps the experiment's parameters for its old environment (HOCON
   * merges objects, and {@code --set 'env.params={}'} cannot clear them): when the environment then
   * refuses them, say how to switch.
   */
  private static void checkEnvSwitch(R3Config c, List<String> overrides, EnvChoice env) {
    boolean setEnv = false;
    for (String kv : overrides == null ? List.<String>of() : overrides) {
      int eq = kv.indexOf('=');
      if (eq > 0 && fullKey(kv.substring(0, eq).trim()).startsWith("r3.env")) {
        setEnv = true;
      }
    }
    if (!setEnv || !env.none()) {
      return;
    }
    try {
      Environments.create(c.env().name(), c.env().params());
    } catch (EnvConfigException e) {
      throw new IllegalArgumentException(
          e.getMessage()
              + "; --set changes single keys of the env block and keeps the rest (parameters "
              + c.env().params()
              + " come from the experiment); to switch environment use --env "
              + c.env().name()
              + " (replaces the whole block) and --env-param key=value for its parameters",
          e);
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
