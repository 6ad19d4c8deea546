package dev.r3.report;

import dev.r3.env.Plugins;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./r3 compare}: run a suite (resuming), then write its report. The one public entry point
 * of this package; everything else is package-private.
 */
public final class Comparison {
  private Comparison() {}

  /**
   * What to do.
   *
   * @param seeds seeds 1..N instead of the suite's; null keeps the suite's
   * @param jobs concurrent runs instead of the suite's parallelism; null keeps it
   * @param reportOnly regenerate the report from the runs on disk, start nothing
   * @param plugins environment plugin jars: checked here first (a missing or broken jar fails
   *     before any run starts, naming it), then passed to every child JVM with {@code --plugin}
   */
  public record Options(
      Path suite, Integer seeds, Path out, Integer jobs, boolean reportOnly, List<Path> plugins) {
    public Options {
      plugins = plugins == null ? List.of() : List.copyOf(plugins);
    }

    public Options(Path suite, Integer seeds, Path out, Integer jobs, boolean reportOnly) {
      this(suite, seeds, out, jobs, reportOnly, List.of());
    }
  }

  /**
   * Runs and reports; 0 when every run of the suite finished, else 1 (the report is written either
   * way).
   */
  public static int run(Options o, PrintStream progress) {
    Suite suite = Suite.load(o.suite());
    List<Suite> pilotSuites =
        Suite.pilots(o.suite()).stream().map(Suite::load).toList(); // fail early
    if (o.seeds() != null) {
      suite = suite.withSeeds(o.seeds());
    }
    if (o.jobs() != null && o.jobs() < 1) {
      throw new IllegalArgumentException("--jobs must be >= 1, got " + o.jobs());
    }
    if (!o.reportOnly()) {
      List<Path> jars = Plugins.verify(o.plugins()); // each child run loads them
      int cores = Runtime.getRuntime().availableProcessors();
      int jobs = o.jobs() != null ? o.jobs() : suite.jobs(cores);
      new SuiteRunner(
              suite,
              ChildJvm.train(suite.jvmOptions(), jars),
              ChildJvm.mismatch(suite.jvmOptions(), jars),
              jobs,
              cores,
              progress)
          .run();
    }
    List<ExperimentSummary> experiments = summarise(suite);
    List<PilotsSection.Pilot> pilots = new ArrayList<>();
    for (Suite pilot : pilotSuites) {
      pilots.add(new PilotsSection.Pilot(pilot, summarise(pilot)));
    }
    Path md = ReportWriter.write(o.out(), suite.name(), suite.collapse(), experiments, pilots);
    int runs = experiments.stream().mapToInt(e -> e.runs().size()).sum();
    int finished = experiments.stream().mapToInt(ExperimentSummary::finished).sum();
    progress.println(
        "r3 compare: report " + md + " (" + finished + " of " + runs + " runs finished)");
    return finished == runs ? 0 : 1;
  }

  /** Reads every (experiment, seed) of the suite from disk and groups them per experiment. */
  static List<ExperimentSummary> summarise(Suite suite) {
    Map<String, ExperimentLabel> labels = new LinkedHashMap<>();
    List<RunResult> runs = new ArrayList<>();
    for (Suite.Entry e : suite.experiments()) {
      labels.put(e.name(), ExperimentLabel.of(e.name(), e.config(), suite.setsFor(e)));
      for (long seed : suite.seeds()) {
        runs.add(RunResult.load(e.name(), seed, suite.seedDir(e, seed), suite.collapse()));
      }
    }
    return ExperimentSummary.of(
        new ArrayList<>(labels.keySet()), ExperimentLabel.distinct(labels), runs);
  }
}
