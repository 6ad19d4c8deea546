package dev.r3.report;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.r3.actors.config.ConfigLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the report names an experiment: the method ("GRPO+TIS+R3") and the setting ("M=8, lr=5e-04"),
 * read from the settings the run actually uses (the experiment file, the suite's overrides, then
 * {@code reference.conf}), so a label cannot disagree with the config. Where a key cannot be read
 * the label falls back to the experiment's name ({@code grpo-tis-r3-m8}).
 */
record ExperimentLabel(String method, String setting, int miniSteps) {

  static ExperimentLabel of(String name, Path config, List<String> sets) {
    Config c;
    try {
      c = ConfigLoader.resolve(config, sets);
    } catch (IllegalArgumentException e) {
      c = ConfigFactory.empty();
    }
    List<String> tokens = List.of(name.toLowerCase(Locale.ROOT).split("[-_.]"));
    String algo = string(c, "r3.algorithm.name", tokens.contains("gspo") ? "gspo" : "grpo");
    String routing =
        string(
            c,
            "r3.algorithm.routing",
            tokens.contains("r3") ? "r3" : tokens.contains("r2") ? "r2" : "recompute");
    boolean tis = bool(c, "r3.algorithm.tis.enabled", tokens.contains("tis"));
    boolean mis = bool(c, "r3.algorithm.mis.enabled", tokens.contains("mis"));
    int m = (int) number(c, "r3.learner.mini-steps", miniStepsFromName(tokens));
    double lr = number(c, "r3.learner.lr", Double.NaN);

    List<String> parts = new ArrayList<>();
    parts.add(algo.toUpperCase(Locale.ROOT));
    if (tis) {
      parts.add("TIS");
    }
    if (mis) {
      parts.add("MIS");
    }
    if (!routing.equalsIgnoreCase("recompute")) {
      parts.add(routing.toUpperCase(Locale.ROOT));
    }
    String setting = m > 0 ? "M=" + m : "M=?";
    if (!Double.isNaN(lr)) {
      setting += String.format(Locale.ROOT, ", lr=%.0e", lr);
    }
    return new ExperimentLabel(String.join("+", parts), setting, m);
  }

  /**
   * The labels of a suite's experiments (by name, in order), made distinct: experiments that differ
   * only in what a label does not show (precision, model shape, batching, ...) would otherwise
   * share a row of every table and a colour of every plot, so their method names the experiment too
   * ({@code "GRPO+R3 (cb-off)"}).
   */
  static Map<String, ExperimentLabel> distinct(Map<String, ExperimentLabel> labels) {
    Map<String, Integer> uses = new HashMap<>();
    for (ExperimentLabel l : labels.values()) {
      uses.merge(l.method() + "|" + l.setting(), 1, Integer::sum);
    }
    Map<String, ExperimentLabel> out = new LinkedHashMap<>();
    for (var e : labels.entrySet()) {
      ExperimentLabel l = e.getValue();
      boolean shared = uses.get(l.method() + "|" + l.setting()) > 1;
      out.put(
          e.getKey(),
          shared
              ? new ExperimentLabel(
                  l.method() + " (" + e.getKey() + ")", l.setting(), l.miniSteps())
              : l);
    }
    return out;
  }

  private static String string(Config c, String key, String fallback) {
    try {
      return c.hasPath(key) ? c.getString(key) : fallback;
    } catch (ConfigException e) {
      return fallback;
    }
  }

  private static boolean bool(Config c, String key, boolean fallback) {
    try {
      return c.hasPath(key) ? c.getBoolean(key) : fallback;
    } catch (ConfigException e) {
      return fallback;
    }
  }

  private static double number(Config c, String key, double fallback) {
    try {
      return c.hasPath(key) ? c.getDouble(key) : fallback;
    } catch (ConfigException e) {
      return fallback;
    }
  }

  private static int miniStepsFromName(List<String> tokens) {
    for (String t : tokens) {
      if (t.matches("m\\d+")) {
        return Integer.parseInt(t.substring(1));
      }
    }
    return 0;
  }
}
