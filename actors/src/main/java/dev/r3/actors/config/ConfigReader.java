package dev.r3.actors.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one way R3 reads HOCON: experiments ({@code r3 { ... }}), sweeps ({@code sweep { ... }}) and
 * suites ({@code suite { ... }}), each over its own block of {@code reference.conf}, where every
 * key is documented with its default.
 *
 * <p>Two guarantees. Every key a file sets must exist in its reference block (or lie under a
 * free-form subtree such as {@code r3.env.params}, which the environment validates): a misspelt key
 * is refused naming the file, the line and the closest known key, instead of being silently
 * ignored. And every typed getter names its key when the value is missing, of the wrong type or out
 * of range. Keys are kebab-case everywhere.
 */
public final class ConfigReader {
  private final Config c;
  private final String prefix;

  /**
   * @param c the resolved settings (the file over its reference block)
   * @param prefix what the keys are relative to, for messages ("" when keys are full paths)
   */
  private ConfigReader(Config c, String prefix) {
    this.c = c;
    this.prefix = prefix;
  }

  /** A reader of resolved settings whose keys are full paths ({@code r3.learner.lr}). */
  public static ConfigReader of(Config resolved) {
    return new ConfigReader(resolved, "");
  }

  /** Parses a file (includes followed), naming the file in any syntax error. */
  public static Config parseFile(Path file, String what) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(what + " file " + file + " does not exist");
    }
    try {
      return ConfigFactory.parseFile(
          file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(what + " file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Parses HOCON text (tests, {@code --set} values). */
  public static Config parseString(String hocon, String what) {
    try {
      return ConfigFactory.parseString(hocon);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads section {@code section} of a parsed file over the same block of {@code reference.conf}:
   * refuses keys that block does not define (except under {@code freeForm} paths), then merges and
   * resolves.
   */
  public static ConfigReader section(Config file, String section, String... freeForm) {
    if (!file.hasPath(section) || file.getValue(section).valueType() != ConfigValueType.OBJECT) {
      throw new IllegalArgumentException(
          where(file.origin()) + ": the file must hold a '" + section + " { ... }' object");
    }
    Config reference = ConfigFactory.defaultReference().withOnlyPath(section);
    Config merged = resolved(file.withOnlyPath(section), reference);
    UnknownKeys.refuseUnknown(merged, reference, Set.of(freeForm));
    return new ConfigReader(merged, "");
  }

  /**
   * The file over its reference settings, resolved (substitutions may point into either). Keys the
   * file sets keep the file's origin, so unknown ones can be found by walking the result.
   */
  static Config resolved(Config file, Config reference) {
    try {
      return file.withFallback(reference).resolve();
    } catch (ConfigException e) {
      throw new IllegalArgumentException(where(file.origin()) + ": " + e.getMessage(), e);
    }
  }

  /** Where a value was written: "FILE line N", or the origin's own description. */
  public static String where(ConfigOrigin o) {
    if (o == null) {
      return "config";
    }
    if (o.filename() != null && o.lineNumber() > 0) {
      return o.filename() + " line " + o.lineNumber();
    }
    return o.description();
  }

  // ------------------------------------------------------------------ typed getters

  /** A reader of one object inside this one (e.g. a list element), keys relative to it. */
  public ConfigReader child(ConfigObject o, String at) {
    return new ConfigReader(o.toConfig(), at);
  }

  /** The full name of {@code key}, as messages show it. */
  public String name(String key) {
    return prefix.isEmpty() ? key : prefix + "." + key;
  }

  public boolean has(String key) {
    return c.hasPath(key);
  }

  public Config config() {
    return c;
  }

  private <T> T get(String key, Supplier<T> read) {
    if (!c.hasPath(key)) {
      throw new IllegalArgumentException(name(key) + " is missing");
    }
    try {
      return read.get();
    } catch (ConfigException.WrongType | ConfigException.BadValue e) {
      throw new IllegalArgumentException(
          name(key) + " has the wrong type: " + c.getValue(key).render(), e);
    }
  }

  public ConfigValue value(String key) {
    return get(key, () -> c.getValue(key));
  }

  public String string(String key) {
    ConfigValue v = value(key);
    if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
      throw new IllegalArgumentException(name(key) + " must be a single value, got " + v.render());
    }
    return String.valueOf(v.unwrapped());
  }

  public String nonEmpty(String key) {
    String s = string(key);
    if (s.isBlank()) {
      throw new IllegalArgumentException(name(key) + " must not be empty");
    }
    return s;
  }

  /** A plain name: letters, digits, '.', '_', '-' (it becomes a folder name). */
  public String word(String key) {
    String s = string(key);
    if (!s.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
      throw new IllegalArgumentException(
          name(key) + " must be a word of letters, digits, '.', '_', '-', got '" + s + "'");
    }
    return s;
  }

  public boolean bool(String key) {
    return get(key, () -> c.getBoolean(key));
  }

  /** A whole number (HOCON's getLong would truncate 1.5 to 1: refused instead of misread). */
  public long longValue(String key) {
    if (value(key).unwrapped() instanceof Number n
        && !(n instanceof Integer || n instanceof Long)
        && n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new IllegalArgumentException(name(key) + " must be a whole number, got " + n);
    }
    return get(key, () -> c.getLong(key));
  }

  /** An integer >= min; a string holding one is fine ({@code --set x=3} arrives as text). */
  public int atLeast(String key, int min) {
    ConfigValue v = value(key);
    Object u = v.unwrapped();
    int n;
    if (u instanceof Integer i) {
      n = i;
    } else if (u instanceof String s && s.trim().matches("-?\\d{1,9}")) {
      n = Integer.parseInt(s.trim());
    } else {
      throw new IllegalArgumentException(name(key) + " must be an integer, got " + v.render());
    }
    return checkAtLeast(key, n, min);
  }

  private int checkAtLeast(String key, int v, int min) {
    if (v < min) {
      throw new IllegalArgumentException(name(key) + " must be >= " + min + ", got " + v);
    }
    return v;
  }

  public int portOrZero(String key) {
    int v = atLeast(key, 0);
    if (v > 65535) {
      throw new IllegalArgumentException(name(key) + " must be a port in [0, 65535], got " + v);
    }
    return v;
  }

  private double number(String key) {
    return get(key, () -> c.getDouble(key));
  }

  public double positive(String key) {
    double v = number(key);
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(name(key) + " must be > 0, got " + v);
    }
    return v;
  }

  public double atLeastDouble(String key, double min) {
    double v = number(key);
    if (!(v >= min) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(name(key) + " must be >= " + min + ", got " + v);
    }
    return v;
  }

  public double inRange(String key, double lo, double hi) {
    double v = number(key);
    if (!(v >= lo && v <= hi)) {
      throw new IllegalArgumentException(
          name(key) + " must be in [" + lo + ", " + hi + "], got " + v);
    }
    return v;
  }

  /** A positive duration. */
  public Duration duration(String key) {
    Duration d = durationOrZero(key);
    if (d.isZero()) {
      throw new IllegalArgumentException(name(key) + " must be a positive duration, got " + d);
    }
    return d;
  }

  /** A duration >= 0 (0 usually means "none"). */
  public Duration durationOrZero(String key) {
    Duration d = get(key, () -> c.getDuration(key));
    if (d.isNegative()) {
      throw new IllegalArgumentException(name(key) + " must not be negative, got " + d);
    }
    return d;
  }

  public String oneOf(String key, String... allowed) {
    String v = string(key).toLowerCase(Locale.ROOT);
    for (String a : allowed) {
      if (a.equals(v)) {
        return v;
      }
    }
    throw new IllegalArgumentException(
        name(key) + " must be one of " + String.join(", ", allowed) + ", got '" + v + "'");
  }

  /** An enum constant by name, case-insensitive, '-' for '_'. */
  public <E extends Enum<E>> E enumValue(String key, Class<E> type) {
    String v = string(key).trim();
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(v.replace('-', '_'))) {
        return e;
      }
      names.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }
    throw new IllegalArgumentException(
        name(key) + " must be one of " + String.join(", ", names) + ", got '" + v + "'");
  }

  /** A value that a parser turns into a type; its error is prefixed with the key. */
  public <T> T parsed(String key, Function<String, T> parser) {
    String s = string(key);
    try {
      return parser.apply(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name(key) + ": " + e.getMessage(), e);
    }
  }

  public ConfigObject object(String key) {
    ConfigValue v = value(key);
    if (v.valueType() != ConfigValueType.OBJECT) {
      throw new IllegalArgumentException(
          name(key) + " must be an object { ... }, got " + v.render());
    }
    return (ConfigObject) v;
  }

  public ConfigList list(String key) {
    ConfigValue v = value(key);
    if (v.valueType() != ConfigValueType.LIST) {
      throw new IllegalArgumentException(name(key) + " must be a list [ ... ], got " + v.render());
    }
    return (ConfigList) v;
  }

  public List<String> stringList(String key) {
    List<String> out = new ArrayList<>();
    ConfigList l = list(key);
    for (int i = 0; i < l.size(); i++) {
      ConfigValue v = l.get(i);
      if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
        throw new IllegalArgumentException(
            name(key) + "[" + i + "] must be a single value, got " + v.render());
      }
      out.add(String.valueOf(v.unwrapped()));
    }
    return List.copyOf(out);
  }

  /** An object of plain values as strings (environment parameters). */
  public Map<String, String> stringMap(String key) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : object(key).toConfig().entrySet()) {
      m.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
    }
    return Map.copyOf(m);
  }
}
