package dev.r3.report;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
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
 * file with one {@code suite} section (every key but {@code experiments} optional):
 *
 * <pre>
 * suite {
 *   name = quick                      # default: the file name; runs land in runs-dir/name/...
 *   config-dir = ".."                 # experiment paths are relative to this, itself relative to the suite file
 *   runs-dir = "runs"                 # relative to the working directory
 *   seeds = 1                         # a count (seeds 1..N) or a list: [1, 2, 3]
 *   parallelism = 0                   # concurrent runs; 0 = cores / 2, at least 1
 *   jvm-options = ["-Xmx4g"]          # for each child JVM
 *   run-timeout = 0                   # a run still going after this is killed and reported failed; 0 = none
 *   set = ["r3.experiment.total-steps=40"]     # --set for every run
 *   experiments = [
 *     "experiments/grpo-m8.conf"                 # name = file name without .conf
 *     { config = "experiments/grpo-r3-m8.conf", name = "grpo-r3-m8", set = ["r3.rollout.precision=fp8"] }
 *   ]
 *   collapse { fraction = 0.5, window-steps = 20, min-peak = 0.1 }   # see CollapseDetector
 *   mismatch { enabled = off, args = ["--quick"] }   # measure each finished run with r3 mismatch
 * }
 * </pre>
 *
 * The runner adds {@code r3.experiment.seed} after these overrides and gives {@code train} the
 * output folder with {@code --out}, so a suite cannot redirect either.
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

  static Suite load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("suite file " + file + " does not exist");
    }
    Config root;
    try {
      root =
          ConfigFactory.parseFile(
                  file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false))
              .resolve();
    } catch (ConfigException e) {
      throw new IllegalArgumentException("suite " + file + ": " + e.getMessage(), e);
    }
    if (!root.hasPath("suite")) {
      throw new IllegalArgumentException("suite " + file + " has no 'suite { ... }' section");
    }
    try {
      return parse(file, root.getConfig("suite"));
    } catch (ConfigException e) {
      throw new IllegalArgumentException("suite " + file + ": " + e.getMessage(), e);
    }
  }

  private static Suite parse(Path file, Config s) {
    Path dir = file.toAbsolutePath().getParent();
    String fileName = file.getFileName().toString();
    String name = s.hasPath("name") ? s.getString("name") : fileName.replaceFirst("\\.conf$", "");
    Path configDir =
        dir.resolve(s.hasPath("config-dir") ? s.getString("config-dir") : "..").normalize();
    Path runs =
        Path.of(s.hasPath("runs-dir") ? s.getString("runs-dir") : "runs")
            .toAbsolutePath()
            .normalize();
    List<Long> seeds = s.hasPath("seeds") ? seeds(s) : List.of(1L);
    int parallelism = s.hasPath("parallelism") ? s.getInt("parallelism") : 0;
    if (parallelism < 0) {
      throw new IllegalArgumentException("suite.parallelism must be >= 0, got " + parallelism);
    }
    List<String> sets = s.hasPath("set") ? sets(s.getStringList("set"), "suite.set") : List.of();
    List<String> jvm =
        s.hasPath("jvm-options") ? s.getStringList("jvm-options") : DEFAULT_JVM_OPTIONS;
    Duration timeout = s.hasPath("run-timeout") ? s.getDuration("run-timeout") : Duration.ZERO;
    CollapseDetector collapse = CollapseDetector.DEFAULT;
    if (s.hasPath("collapse")) {
      Config c = s.getConfig("collapse");
      collapse =
          new CollapseDetector(
              c.hasPath("fraction") ? c.getDouble("fraction") : CollapseDetector.DEFAULT.fraction(),
              c.hasPath("window-steps")
                  ? c.getInt("window-steps")
                  : CollapseDetector.DEFAULT.windowSteps(),
              c.hasPath("min-peak") ? c.getDouble("min-peak") : CollapseDetector.DEFAULT.minPeak());
    }
    MismatchStep mismatch = MismatchStep.OFF;
    if (s.hasPath("mismatch")) {
      Config m = s.getConfig("mismatch");
      mismatch =
          new MismatchStep(
              m.hasPath("enabled") && m.getBoolean("enabled"),
              m.hasPath("args") ? List.copyOf(m.getStringList("args")) : List.of());
    }
    return new Suite(
        name,
        file,
        runs,
        entries(s, configDir),
        seeds,
        parallelism,
        sets,
        List.copyOf(jvm),
        timeout,
        collapse,
        mismatch);
  }

  private static List<Long> seeds(Config s) {
    if (s.getValue("seeds").valueType() == ConfigValueType.LIST) {
      List<Long> l = s.getLongList("seeds");
      if (l.isEmpty() || new HashSet<>(l).size() != l.size()) {
        throw new IllegalArgumentException(
            "suite.seeds must be a non-empty list of distinct seeds, got " + l);
      }
      return List.copyOf(l);
    }
    return count(s.getInt("seeds"));
  }

  private static List<Long> count(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("the number of seeds must be >= 1, got " + n);
    }
    return LongStream.rangeClosed(1, n).boxed().toList();
  }

  private static List<Entry> entries(Config s, Path configDir) {
    if (!s.hasPath("experiments")) {
      throw new IllegalArgumentException("suite.experiments is missing");
    }
    List<Entry> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (ConfigValue v : s.getList("experiments")) {
      Entry e;
      if (v.valueType() == ConfigValueType.STRING) {
        e = entry(configDir, (String) v.unwrapped(), null, List.of());
      } else if (v.valueType() == ConfigValueType.OBJECT) {
        Config c = ((com.typesafe.config.ConfigObject) v).toConfig();
        e =
            entry(
                configDir,
                c.getString("config"),
                c.hasPath("name") ? c.getString("name") : null,
                c.hasPath("set") ? sets(c.getStringList("set"), "experiment set") : List.of());
      } else {
        throw new IllegalArgumentException(
            "suite.experiments: each entry is a path or { config = ..., name = ..., "
                + "set = [...] }, got "
                + v.render());
      }
      if (!names.add(e.name())) {
        throw new IllegalArgumentException(
            "suite.experiments: the name " + e.name() + " appears twice");
      }
      out.add(e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("suite.experiments is empty");
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

  private static List<String> sets(List<String> sets, String where) {
    for (String kv : sets) {
      if (kv.indexOf('=') <= 0) {
        throw new IllegalArgumentException(where + ": expected key=value, got '" + kv + "'");
      }
    }
    return List.copyOf(sets);
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
