package dev.r3.env;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;

/**
 * Environment plugin jars loaded into this JVM ({@code ./r3 train --plugin PATH.jar}, {@code
 * r3.env.plugins}): once loaded, {@link Environments} finds their providers by name like the
 * built-in ones. Each jar is checked when it is loaded: it must exist, be readable, be a jar,
 * register at least one {@link EnvironmentProvider} in {@code META-INF/services}, and every
 * provider it registers must load; otherwise loading fails naming the jar and what is wrong.
 */
public final class Plugins {
  static final String SERVICES = "META-INF/services/" + EnvironmentProvider.class.getName();

  private static final Set<Path> jars = new LinkedHashSet<>();
  private static volatile ClassLoader loader;

  private Plugins() {}

  /**
   * Loads {@code paths} (in addition to the jars loaded before; a jar loaded twice counts once).
   *
   * @return the provider names each new jar registers
   * @throws EnvConfigException naming the first jar that is missing, unreadable or broken
   */
  public static synchronized List<String> load(List<Path> paths) {
    List<String> names = new ArrayList<>();
    List<Path> fresh = new ArrayList<>();
    for (Path p : paths) {
      Path jar = p.toAbsolutePath().normalize();
      if (!jars.contains(jar) && !fresh.contains(jar)) {
        names.addAll(check(jar));
        fresh.add(jar);
      }
    }
    if (fresh.isEmpty()) {
      return names;
    }
    jars.addAll(fresh);
    List<URL> urls = new ArrayList<>();
    for (Path jar : jars) {
      urls.add(url(jar));
    }
    loader = new URLClassLoader(urls.toArray(new URL[0]), Plugins.class.getClassLoader());
    return names;
  }

  /**
   * Checks {@code paths} as {@link #load} does without loading them here (for a JVM that only
   * starts others that will, such as {@code ./r3 compare}).
   *
   * @return the jars as absolute paths, in order
   * @throws EnvConfigException naming the first jar that is missing, unreadable or broken
   */
  public static List<Path> verify(List<Path> paths) {
    List<Path> out = new ArrayList<>();
    for (Path p : paths) {
      Path jar = p.toAbsolutePath().normalize();
      check(jar);
      if (!out.contains(jar)) {
        out.add(jar);
      }
    }
    return out;
  }

  /** The jars loaded so far (absolute paths), e.g. to pass on to a child JVM. */
  public static synchronized List<Path> loaded() {
    return List.copyOf(jars);
  }

  /** The class loader of the loaded jars (parent: the built-ins'), or null when none is loaded. */
  static ClassLoader loader() {
    return loader;
  }

  /** The provider names one jar registers. */
  private static List<String> check(Path jar) {
    if (!Files.exists(jar)) {
      throw new EnvConfigException("plugin jar " + jar + " does not exist");
    }
    if (!Files.isRegularFile(jar) || !Files.isReadable(jar)) {
      throw new EnvConfigException("plugin jar " + jar + " is not a readable file");
    }
    try (JarFile f = new JarFile(jar.toFile())) {
      if (f.getEntry(SERVICES) == null) {
        throw new EnvConfigException(
            "plugin jar " + jar + " registers no environment: it has no " + SERVICES);
      }
    } catch (IOException e) {
      throw new EnvConfigException("plugin jar " + jar + " is not a jar: " + e.getMessage(), e);
    }
    List<String> names = new ArrayList<>();
    URLClassLoader own = new URLClassLoader(new URL[] {url(jar)}, Plugins.class.getClassLoader());
    List<String> classes = new ArrayList<>();
    try (JarFile f = new JarFile(jar.toFile())) {
      String text = new String(f.getInputStream(f.getEntry(SERVICES)).readAllBytes(), UTF_8);
      for (String line : text.split("\\R")) {
        String c = line.replaceAll("#.*", "").strip();
        if (!c.isEmpty()) {
          classes.add(c);
        }
      }
    } catch (IOException e) {
      throw new EnvConfigException("plugin jar " + jar + " cannot be read: " + e.getMessage(), e);
    }
    for (String c : classes) {
      try {
        Object p = Class.forName(c, true, own).getConstructor().newInstance();
        if (!(p instanceof EnvironmentProvider provider)) {
          throw new EnvConfigException(
              "plugin jar " + jar + " is broken: " + c + " is not an EnvironmentProvider");
        }
        names.add(provider.name());
      } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
        if (e instanceof EnvConfigException ece) {
          throw ece;
        }
        throw new EnvConfigException(
            "plugin jar " + jar + " is broken: provider " + c + " fails to load: " + e, e);
      }
    }
    if (names.isEmpty()) {
      throw new EnvConfigException("plugin jar " + jar + " lists no provider in " + SERVICES);
    }
    return names;
  }

  private static URL url(Path jar) {
    try {
      return jar.toUri().toURL();
    } catch (MalformedURLException e) {
      throw new EnvConfigException("plugin jar " + jar + ": " + e.getMessage(), e);
    }
  }
}
