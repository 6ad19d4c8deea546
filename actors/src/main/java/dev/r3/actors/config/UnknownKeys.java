package dev.r3.actors.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The half of {@link ConfigReader}'s first guarantee that finds keys nobody reads: every key a file
 * sets must exist in its reference block (or lie under a free-form subtree); a misspelt key is
 * refused naming the file, the line and the closest known key (by edit distance).
 */
public final class UnknownKeys {
  private UnknownKeys() {}

  /**
   * Every key {@code user} sets must exist in {@code known} (compared by full path) unless it lies
   * under one of {@code freeForm}; otherwise the error lists each unknown key with its file, its
   * line and the closest known key.
   */
  public static void refuseUnknown(Config user, Config known, Set<String> freeForm) {
    List<String> problems = new ArrayList<>();
    walk(user.root(), "", known, freeForm, problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          String.join("\n", problems)
              + (problems.size() > 1 ? "\n(" + problems.size() + " unknown keys; " : "\n(")
              + "every key is documented in reference.conf)");
    }
  }

  private static void walk(
      ConfigObject o, String path, Config known, Set<String> freeForm, List<String> problems) {
    for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
      String p = path.isEmpty() ? quote(e.getKey()) : path + "." + quote(e.getKey());
      if (freeForm.contains(p)) {
        continue;
      }
      if (!known.hasPathOrNull(p)) {
        problems.add(unknownKey(p, e.getValue().origin(), paths(known)));
      } else if (e.getValue().valueType() == ConfigValueType.OBJECT
          && known.getValue(p).valueType() == ConfigValueType.OBJECT) {
        walk((ConfigObject) e.getValue(), p, known, freeForm, problems);
      }
    }
  }

  /**
   * Refuses keys of one object (e.g. a list element) outside {@code known}; {@code at} names it.
   */
  public static void refuseUnknown(ConfigObject o, String at, Collection<String> known) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
      if (!known.contains(e.getKey())) {
        List<String> full = new ArrayList<>();
        known.forEach(k -> full.add(at + "." + k));
        problems.add(unknownKey(at + "." + quote(e.getKey()), e.getValue().origin(), full));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", problems));
    }
  }

  /** "FILE line N: unknown key K; did you mean C?" */
  static String unknownKey(String key, ConfigOrigin origin, Collection<String> candidates) {
    String near = closest(key, candidates);
    return ConfigReader.where(origin)
        + ": unknown key "
        + key
        + (near == null ? "" : "; did you mean " + near + "?");
  }

  /** Every path of {@code c}, objects included (a misspelt section name is found too). */
  static List<String> paths(Config c) {
    Set<String> out = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
      List<String> parts = ConfigUtil.splitPath(e.getKey());
      for (int i = 1; i <= parts.size(); i++) {
        out.add(ConfigUtil.joinPath(parts.subList(0, i)));
      }
    }
    // Empty objects (r3.env.params {}) have no leaves; keep them as candidates too.
    collectObjects(c.root(), "", out);
    return List.copyOf(out);
  }

  private static void collectObjects(ConfigObject o, String path, Set<String> out) {
    for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
      String p = path.isEmpty() ? quote(e.getKey()) : path + "." + quote(e.getKey());
      if (e.getValue().valueType() == ConfigValueType.OBJECT) {
        out.add(p);
        collectObjects((ConfigObject) e.getValue(), p, out);
      }
    }
  }

  /** The candidate nearest to {@code key} by edit distance (null when there is none). */
  public static String closest(String key, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : candidates) {
      int d = editDistance(key, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Levenshtein distance: insertions, deletions and substitutions of one character each cost 1. */
  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static String quote(String key) {
    return ConfigUtil.joinPath(key);
  }
}
