package dev.r3.actors.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An environment chosen on the command line ({@code --env NAME}, {@code --env-param k=v}): it
 * replaces the experiment's {@code r3.env} block instead of merging into it, so switching from
 * {@code add} to {@code sort} does not drag {@code add}'s parameters along.
 *
 * @param name the environment, or null to keep the experiment's
 * @param params its parameters, or null to keep the experiment's (empty = the environment's
 *     defaults)
 */
public record EnvChoice(String name, Map<String, String> params) {
  public static final EnvChoice NONE = new EnvChoice(null, null);

  public EnvChoice {
    params = params == null ? null : Map.copyOf(params);
  }

  /**
   * From the two options: {@code --env} alone gives the environment's default parameters; {@code
   * --env-param} alone replaces the experiment's parameters and keeps its environment.
   */
  public static EnvChoice of(String name, List<String> params) {
    if (name != null && name.isBlank()) {
      throw new IllegalArgumentException("--env must name an environment (./r3 env list)");
    }
    if (params == null || params.isEmpty()) {
      return name == null ? NONE : new EnvChoice(name, Map.of());
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (String kv : params) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--env-param expects key=value, got '" + kv + "'");
      }
      String key = kv.substring(0, eq).trim();
      if (m.put(key, kv.substring(eq + 1).trim()) != null) {
        throw new IllegalArgumentException("--env-param " + key + " is given twice");
      }
    }
    return new EnvChoice(name, m);
  }

  /** True when the command line chose nothing. */
  public boolean none() {
    return name == null && params == null;
  }
}
