package dev.r3.report;

import java.util.List;
import java.util.Locale;

/**
 * The map of what was tried: every pilot suite a suite names ({@code suite.pilots}), each run with
 * its overrides, final and best accuracy, mean mismatch and collapse verdict under the pilot's own
 * collapse rule, read from the runs on disk. Pilots that showed nothing are listed like the rest.
 */
final class PilotsSection {
  private PilotsSection() {}

  /** One pilot suite and its runs as found on disk. */
  record Pilot(Suite suite, List<ExperimentSummary> experiments) {}

  static String markdown(List<Pilot> pilots) {
    if (pilots.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder("## Pilots: how the regime was chosen\n\n");
    b.append(
        "Every pilot run listed in `suite.pilots`, in the order run, including those that showed "
            + "nothing. One seed each: a map, not a result. Rerun a pilot with `./r3 compare --suite "
            + "FILE`.\n\n");
    b.append(
        "| pilot suite | experiment | overrides | status | final accuracy | best accuracy | "
            + "collapse step | mismatch KL | F(2) |\n|---|---|---|---|---|---|---|---|---|\n");
    for (Pilot p : pilots) {
      for (Suite.Entry e : p.suite().experiments()) {
        ExperimentSummary s =
            p.experiments().stream()
                .filter(x -> x.experiment().equals(e.name()))
                .findFirst()
                .orElse(null);
        if (s == null) {
          continue;
        }
        for (RunResult r : s.runs()) {
          b.append("| `")
              .append(p.suite().file().getFileName())
              .append("` | ")
              .append(e.name())
              .append(" | ")
              .append(overrides(p.suite().setsFor(e)))
              .append(" | ")
              .append(r.status().name().toLowerCase(Locale.ROOT))
              .append(" | ")
              .append(ReportWriter.num("%.3f", r.finalAccuracy()))
              .append(" | ")
              .append(ReportWriter.num("%.3f", r.bestAccuracy()))
              .append(" | ")
              .append(r.collapse().collapsed() ? String.valueOf((long) r.collapse().step()) : "-")
              .append(" | ")
              .append(ReportWriter.num("%.2e", r.meanKl()))
              .append(" | ")
              .append(ReportWriter.num("%.2e", r.meanExtreme2()))
              .append(" |\n");
        }
      }
    }
    return b.append('\n').toString();
  }

  /** The run's overrides, without the ones that only change how it prints. */
  private static String overrides(List<String> sets) {
    return String.join(
            ", ", sets.stream().filter(x -> !x.startsWith("r3.experiment.progress-bar")).toList())
        .replace("|", "\\|");
  }
}
