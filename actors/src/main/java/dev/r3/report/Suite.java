package dev.r3.report;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.config.ConfigReader;
import dev.r3.actors.config.UnknownKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;

/**
 * A suite: which experiments to run, with which seeds, overrides and parallelism. Read from a HOCON
 * file with one {@code suite} section over the {@code suite} block of reference.conf (every key,
 * its default and its meaning are there; only {@code experiments} is required):
 *
 * <pre>
 * suite {
 *   name = quick
 *   seeds = [1, 2]
 *   set = ["r3.experiment.total-steps=40"]     # --set for every run
 *   experiments = [
 *     "experiments/grpo-m8.conf"                 # name = file name without .conf
 *     { config = "experiments/grpo-r3-m8.conf", name = "grpo-r3-m8", set = ["r3.rollout.precision=fp8"] }
 *   ]
 *   collapse { window-steps = 40 }
 * }
 * </pre>
 *
 * Loading also loads every experiment with its overrides, so a misspelt key or a bad value in any
 * of them fails before the first run starts. The runner adds {@code r3.experiment.seed} after these
 * overrides and gives {@code train} the output folder with {@code --out}, so a suite cannot
 * redirect either.
 */
record Suite(
    String name,
    Path file,
    Path runsRoot,
    List<Entry> experiments,
    List<Long> seeds,
    int parallelism,
    List<String> sets,
    List<String> jvmOptions,
    Duration runTimeout,
    CollapseDetector collapse,
    MismatchStep mismatch) {

  /**
   * One experiment of the suite: its name (the folder under the suite's runs), config file and
   * overrides.
   */
  record Entry(String name, Path config, List<String> sets) {}

  /**
   * Whether to measure each finished run's trained model with {@code r3 mismatch} (into its
   * mismatch.json), and the extra arguments; the run's rollout precision, env and seed are added.
   */
  record MismatchStep(boolean enabled, List<String> args) {
    static final MismatchStep OFF = new MismatchStep(false, List.of());
  }

  static final List<String> DEFAULT_JVM_OPTIONS = List.of("-Xmx4g");

  private static final List<String> ENTRY_KEYS = List.of("config", "name", "set");

  static Suite load(Path file) {
    ConfigReader r = ConfigReader.section(ConfigReader.parseFile(file, "suite"), "suite");
    try {
      return parse(file, r);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("suite " + file + ": " + e.getMessage(), e);
    }
  }

  private static Suite parse(Path file, ConfigReader r) {
    Path dir = file.toAbsolutePath().getParent();
    String name = r.string("suite.name");
    if (name.isEmpty()) {
      name = file.getFileName().toString().replaceFirst("\\.conf$", "");
    } else {
      name = r.word("suite.name");
    }
    Path configDir = dir.resolve(r.string("suite.config-dir")).normalize();
    Path runs = Path.of(r.nonEmpty("suite.runs-dir")).toAbsolutePath().normalize();
    List<Long> seeds = seeds(r);
    int parallelism = r.atLeast("suite.parallelism", 0);
    List<String> sets = sets(r, "suite.set");
    List<String> jvm = r.stringList("suite.jvm-options");
    Duration timeout = r.durationOrZero("suite.run-timeout");
    CollapseDetector collapse =
        new CollapseDetector(
            r.inRange("suite.collapse.fraction", 0.0, 1.0),
            r.atLeast("suite.collapse.window-steps", 0),
            r.atLeastDouble("suite.collapse.min-peak", 0.0));
    MismatchStep mismatch =
        new MismatchStep(r.bool("suite.mismatch.enabled"), r.stringList("suite.mismatch.args"));
    Suite suite =
        new Suite(
            name,
            file,
            runs,
            entries(r, configDir),
            seeds,
            parallelism,
            sets,
            jvm,
            timeout,
            collapse,
            mismatch);
    suite.checkExperiments();
    return suite;
  }

  private static List<Long> seeds(ConfigReader r) {
    if (r.value("suite.seeds").valueType() == ConfigValueType.LIST) {
      List<Long> l = new ArrayList<>();
      for (String s : r.stringList("suite.seeds")) {
        try {
          l.add(Long.parseLong(s.trim()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("suite.seeds: '" + s + "' is not an integer seed", e);
        }
      }
      if (l.isEmpty() || new HashSet<>(l).size() != l.size()) {
        throw new IllegalArgumentException(
            "suite.seeds must be a non-empty list of distinct seeds, got " + l);
      }
      return List.copyOf(l);
    }
    return count(r.atLeast("suite.seeds", 1));
  }

  private static List<Long> count(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("the number of seeds must be >= 1, got " + n);
    }
    return LongStream.rangeClosed(1, n).boxed().toList();
  }

  private static List<Entry> entries(ConfigReader r, Path configDir) {
    ConfigList list = r.list("suite.experiments");
    if (list.isEmpty()) {
      throw new IllegalArgumentException(
          "suite.experiments is missing or empty: list the experiment files to run");
    }
    List<Entry> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      ConfigValue v = list.get(i);
      String at = "suite.experiments[" + i + "]";
      Entry e;
      if (v.valueType() == ConfigValueType.STRING) {
        e = entry(configDir, (String) v.unwrapped(), null, List.of());
      } else if (v.valueType() == ConfigValueType.OBJECT) {
        UnknownKeys.refuseUnknown((ConfigObject) v, at, ENTRY_KEYS);
        ConfigReader c = r.child((ConfigObject) v, at);
        e =
            entry(
                configDir,
                c.nonEmpty("config"),
                c.has("name") ? c.word("name") : null,
                c.has("set") ? sets(c, "set") : List.of());
      } else {
        throw new IllegalArgumentException(
            at
                + ": each entry is a path or { config = ..., name = ..., set = [...] }, got "
                + v.render());
      }
      if (!names.add(e.name())) {
        throw new IllegalArgumentException(
            "suite.experiments: the name " + e.name() + " appears twice");
      }
      out.add(e);
    }
    return List.copyOf(out);
  }

  private static Entry entry(Path configDir, String path, String name, List<String> sets) {
    Path config = configDir.resolve(path).normalize();
    if (!Files.isRegularFile(config)) {
      throw new IllegalArgumentException(
          "suite.experiments: " + path + " not found (looked for " + config + ")");
    }
    String n = name != null ? name : config.getFileName().toString().replaceFirst("\\.conf$", "");
    if (!n.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException(
          "suite.experiments: name '" + n + "' must be a plain folder name");
    }
    return new Entry(n, config, sets);
  }

  /** A list of {@code key=value} overrides; each key must be one reference.conf defines. */
  private static List<String> sets(ConfigReader r, String key) {
    List<String> sets = r.stringList(key);
    ConfigList values = r.list(key);
    for (int i = 0; i < sets.size(); i++) {
      String kv = sets.get(i);
      if (kv.indexOf('=') <= 0) {
        throw new IllegalArgumentException(r.name(key) + ": expected key=value, got '" + kv + "'");
      }
      try {
        ConfigLoader.resolve(null, List.of(kv));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            ConfigReader.where(values.get(i).origin()) + ": " + e.getMessage(), e);
      }
    }
    return sets;
  }

  /** Every experiment with its overrides must load: a typo fails now, not hours into the suite. */
  private void checkExperiments() {
    for (Entry e : experiments) {
      try {
        ConfigLoader.load(e.config(), setsFor(e));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(
            "experiment " + e.name() + " (" + e.config() + "): " + ex.getMessage(), ex);
      }
    }
  }

  /**
   * The pilot suites a suite's report summarises ({@code suite.pilots}, paths relative to the suite
   * file): the short runs that chose its regime, read from disk, never started by this suite.
   *
   * @throws IllegalArgumentException naming a listed pilot file that does not exist
   */
  static List<Path> pilots(Path file) {
    ConfigReader r = ConfigReader.section(ConfigReader.parseFile(file, "suite"), "suite");
    Path dir = file.toAbsolutePath().getParent();
    List<Path> out = new ArrayList<>();
    for (String p : r.stringList("suite.pilots")) {
      Path f = dir.resolve(p).normalize();
      if (!java.nio.file.Files.isRegularFile(f)) {
        throw new IllegalArgumentException(
            "suite " + file + ": suite.pilots names " + p + ", but " + f + " is not a file");
      }
      out.add(f);
    }
    return List.copyOf(out);
  }

  /** This suite with seeds 1..n ({@code --seeds n}). */
  Suite withSeeds(int n) {
    return new Suite(
        name,
        file,
        runsRoot,
        experiments,
        count(n),
        parallelism,
        sets,
        jvmOptions,
        runTimeout,
        collapse,
        mismatch);
  }

  /** Concurrent runs: the suite's parallelism, or half the cores (at least one). */
  int jobs(int cores) {
    return parallelism > 0 ? parallelism : Math.max(1, cores / 2);
  }

  Path seedDir(Entry e, long seed) {
    return RunDir.seedDir(runsRoot, name, e.name(), seed);
  }

  /** The overrides a run gets from the suite: the suite's, then the experiment's (later wins). */
  List<String> setsFor(Entry e) {
    List<String> all = new ArrayList<>(sets);
    all.addAll(e.sets());
    return List.copyOf(all);
  }
}
