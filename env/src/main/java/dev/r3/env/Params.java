package dev.r3.env;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * An environment's parameters, checked against its {@link ParamSpec}s, defaults filled in.
 *
 * <p>Unknown keys are errors, not warnings: a typo in a config ({@code digit=3}) would otherwise
 * train silently on the defaults.
 */
public final class Params {
  private final String env;
  private final Map<String, String> values;

  private Params(String env, Map<String, String> values) {
    this.env = env;
    this.values = Collections.unmodifiableMap(values);
  }

  /**
   * @throws EnvConfigException naming the key and what is allowed, for an unknown key or bad value
   */
  public static Params parse(String env, Map<String, String> raw, List<ParamSpec> specs) {
    Map<String, ParamSpec> byKey = new LinkedHashMap<>();
    specs.forEach(s -> byKey.put(s.key(), s));
    for (String key : raw.keySet()) {
      if (!byKey.containsKey(key)) {
        String known =
            specs.isEmpty()
                ? "none"
                : specs.stream().map(ParamSpec::toString).collect(Collectors.joining("; "));
        throw new EnvConfigException(
            "environment '"
                + env
                + "': unknown parameter '"
                + key
                + "'; known parameters: "
                + known);
      }
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (ParamSpec spec : specs) {
      String v = raw.get(spec.key());
      values.put(spec.key(), v == null ? spec.defaultValue() : spec.check(env, v));
    }
    return new Params(env, values);
  }

  public int getInt(String key) {
    return Integer.parseInt(get(key));
  }

  public double getDouble(String key) {
    return Double.parseDouble(get(key));
  }

  public String get(String key) {
    String v = values.get(key);
    if (v == null) {
      throw new IllegalArgumentException(
          "environment '" + env + "' declares no parameter '" + key + "'");
    }
    return v;
  }

  /** All values, defaults included, in declaration order. */
  public Map<String, String> asMap() {
    return values;
  }

  /** A cross-parameter check failed: say so in the same style as a bad single value. */
  public EnvConfigException error(String message) {
    return new EnvConfigException(
        "environment '" + env + "': " + message + " (parameters " + values + ")");
  }

  @Override
  public String toString() {
    return values.toString();
  }
}
