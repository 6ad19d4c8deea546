package dev.r3.env;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Finds environments by name through {@link ServiceLoader}: the built-in tasks and any plugin jar
 * on the class path (see {@link EnvironmentProvider}).
 *
 * <p>Lookups scan the class loader each time; they happen once per run, and scanning means a plugin
 * added to a class loader is seen without a restart. Without an explicit class loader the thread's
 * context class loader is used, as ServiceLoader users expect, or, once {@link Plugins} has loaded
 * jars, their class loader (whose parent holds the built-ins).
 */
public final class Environments {
  private static final int MAX_LOAD_ERRORS = 20;

  private Environments() {}

  /** Creates a configured environment by name with the context class loader. */
  public static Environment create(String name, Map<String, String> params) {
    return create(name, params, defaultLoader());
  }

  /**
   * Creates a configured environment by name.
   *
   * @throws EnvConfigException for an unknown name (listing the known names), a bad parameter
   *     (naming the key and the allowed values), or a provider that fails
   */
  public static Environment create(String name, Map<String, String> params, ClassLoader loader) {
    EnvironmentProvider p = provider(name, loader);
    try {
      Environment env = p.create(Map.copyOf(params));
      if (env == null) {
        throw new EnvConfigException(
            "environment provider " + p.getClass().getName() + " returned null");
      }
      return env;
    } catch (EnvConfigException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new EnvConfigException(
          "environment '" + name + "' could not be created with " + params + ": " + e, e);
    }
  }

  /** The provider registered under {@code name}. */
  public static EnvironmentProvider provider(String name, ClassLoader loader) {
    Scan scan = scan(loader);
    List<EnvironmentProvider> found = scan.byName.get(name);
    if (found == null) {
      StringBuilder msg =
          new StringBuilder(
              "unknown environment '"
                  + name
                  + "'; known environments: "
                  + (scan.byName.isEmpty() ? "none" : String.join(", ", scan.byName.keySet())));
      if (!scan.errors.isEmpty()) {
        msg.append("; providers that failed to load: ").append(String.join("; ", scan.errors));
      }
      throw new EnvConfigException(msg.toString());
    }
    if (found.size() > 1) {
      throw new EnvConfigException(
          "environment name '"
              + name
              + "' is claimed by several providers: "
              + found.stream().map(p -> p.getClass().getName()).collect(Collectors.joining(", ")));
    }
    return found.get(0);
  }

  /** Registered names, sorted, with the context class loader. */
  public static List<String> names() {
    return names(defaultLoader());
  }

  public static List<String> names(ClassLoader loader) {
    return List.copyOf(scan(loader).byName.keySet());
  }

  /** Name, turn mode, description and parameters of every environment, sorted by name. */
  public static List<EnvInfo> list() {
    return list(defaultLoader());
  }

  public static List<EnvInfo> list(ClassLoader loader) {
    List<EnvInfo> out = new ArrayList<>();
    for (List<EnvironmentProvider> ps : scan(loader).byName.values()) {
      for (EnvironmentProvider p : ps) {
        boolean multi;
        String description = p.description();
        try {
          multi = p.create(Map.of()).multiTurn();
        } catch (RuntimeException e) { // listing must not fail because one plugin does
          multi = false;
          description += " (cannot be created with defaults: " + e.getMessage() + ")";
        }
        out.add(new EnvInfo(p.name(), multi, description, p.parameters()));
      }
    }
    out.sort(Comparator.comparing(EnvInfo::name));
    return out;
  }

  private record Scan(Map<String, List<EnvironmentProvider>> byName, List<String> errors) {}

  private static Scan scan(ClassLoader loader) {
    Map<String, List<EnvironmentProvider>> byName = new TreeMap<>();
    List<String> errors = new ArrayList<>();
    var it = ServiceLoader.load(EnvironmentProvider.class, loader).iterator();
    while (true) {
      try {
        if (!it.hasNext()) {
          break;
        }
        EnvironmentProvider p = it.next();
        byName.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(p);
      } catch (ServiceConfigurationError e) { // a broken plugin: skip it, report it on lookup
        errors.add(String.valueOf(e.getMessage()));
        if (errors.size() >= MAX_LOAD_ERRORS) { // a broken services file may fail on every call
          break;
        }
      }
    }
    return new Scan(byName, errors);
  }

  private static ClassLoader defaultLoader() {
    ClassLoader plugins = Plugins.loader();
    if (plugins != null) {
      return plugins; // the loaded plugin jars, then the built-ins
    }
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return cl != null ? cl : Environments.class.getClassLoader();
  }
}
