package dev.r3.cli;

import dev.r3.report.Comparison;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./r3 compare}: run an experiment suite (resuming finished runs) and write the comparison
 * report.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    description =
        "Runs every (experiment, seed) of a suite as a child './r3 train' (skipping runs that already "
            + "finished), then writes report.md, report.json and PNG plots. Exit code 1 when some run did not finish.")
final class CompareCommand implements Callable<Integer> {

  @Option(
      names = "--suite",
      required = true,
      paramLabel = "FILE",
      description = "suite file, e.g. config/suites/quick.conf")
  Path suite;

  @Option(
      names = "--seeds",
      paramLabel = "N",
      description = "run seeds 1..N instead of the suite's seeds")
  Integer seeds;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      defaultValue = "report",
      description = "report folder (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(
      names = "--jobs",
      paramLabel = "J",
      description = "concurrent runs (default: the suite's parallelism, else cores / 2)")
  Integer jobs;

  @Option(
      names = "--plugin",
      paramLabel = "JAR",
      description =
          "an environment plugin jar (repeatable): checked here, then passed to every child run")
  List<Path> plugins = new ArrayList<>();

  @Option(
      names = "--report-only",
      description = "regenerate the report from the runs on disk; start nothing")
  boolean reportOnly;

  @Override
  public Integer call() {
    return Comparison.run(
        new Comparison.Options(suite, seeds, out, jobs, reportOnly, plugins), System.err);
  }
}
