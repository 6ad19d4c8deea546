package dev.r3.env;

import java.util.List;
import java.util.Objects;

/**
 * One configurable parameter of an environment: its key, type, default and allowed values. Declared
 * by {@link EnvironmentProvider#parameters()}, checked by {@link Params#parse}.
 *
 * @param key the config key
 * @param type how the value is read
 * @param defaultValue used when the key is absent
 * @param min smallest allowed value (numbers only)
 * @param max largest allowed value (numbers only)
 * @param choices allowed values (choices only)
 * @param description one line for people
 */
public record ParamSpec(
    String key,
    Type type,
    String defaultValue,
    double min,
    double max,
    List<String> choices,
    String description) {

  public enum Type {
    INTEGER,
    DECIMAL,
    CHOICE
  }

  public ParamSpec {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(defaultValue, "defaultValue");
    Objects.requireNonNull(description, "description");
    choices = List.copyOf(choices);
  }

  public static ParamSpec integer(
      String key, int defaultValue, int min, int max, String description) {
    return new ParamSpec(
        key, Type.INTEGER, Integer.toString(defaultValue), min, max, List.of(), description);
  }

  public static ParamSpec decimal(
      String key, double defaultValue, double min, double max, String description) {
    return new ParamSpec(
        key, Type.DECIMAL, Double.toString(defaultValue), min, max, List.of(), description);
  }

  public static ParamSpec choice(
      String key, String defaultValue, List<String> choices, String description) {
    return new ParamSpec(key, Type.CHOICE, defaultValue, 0, 0, choices, description);
  }

  /** The allowed values in words, e.g. {@code integer in [1, 9]}. */
  public String allowed() {
    return switch (type) {
      case INTEGER -> "integer in [" + (long) min + ", " + (long) max + "]";
      case DECIMAL -> "number in [" + min + ", " + max + "]";
      case CHOICE -> "one of " + String.join(", ", choices);
    };
  }

  /** Checks a raw value; returns it normalised. */
  String check(String env, String raw) {
    String v = raw.trim();
    switch (type) {
      case INTEGER -> {
        long x;
        try {
          x = Long.parseLong(v);
        } catch (NumberFormatException e) {
          throw bad(env, raw);
        }
        if (x < min || x > max) {
          throw bad(env, raw);
        }
        return Long.toString(x);
      }
      case DECIMAL -> {
        double x;
        try {
          x = Double.parseDouble(v);
        } catch (NumberFormatException e) {
          throw bad(env, raw);
        }
        if (!(x >= min && x <= max)) {
          throw bad(env, raw);
        }
        return Double.toString(x);
      }
      case CHOICE -> {
        if (!choices.contains(v)) {
          throw bad(env, raw);
        }
        return v;
      }
      default -> throw new AssertionError(type);
    }
  }

  private EnvConfigException bad(String env, String raw) {
    return new EnvConfigException(
        "environment '"
            + env
            + "': bad value '"
            + raw
            + "' for parameter '"
            + key
            + "': expected "
            + allowed()
            + " (default "
            + defaultValue
            + ")");
  }

  @Override
  public String toString() {
    return key + " (" + allowed() + ", default " + defaultValue + "): " + description;
  }
}
