package dev.r3.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The report's statistics over seeds: per experiment the collapse count with its crash steps and
 * 95% bootstrap intervals of final and best accuracy; per method with an R3 variant ("GRPO" and
 * "GRPO+R3" in the same setting) a permutation test on final accuracy and on collapse; and, for a
 * run that collapsed, its mismatch in the steps before the crash against the same steps of its R3
 * twin (same setting, same seed): the mechanism the paper names.
 */
final class SeedStatistics {
  /** Learner steps before a crash that the mechanism table averages over, as two windows. */
  static final int WINDOW = 20;

  private SeedStatistics() {}

  /** An R3 variant and the method it adds R3 to, in one setting. */
  record Pair(ExperimentSummary baseline, ExperimentSummary r3) {
    double finalAccuracyP() {
      return Significance.permutationP(finals(r3), finals(baseline));
    }

    double collapseP() {
      return Significance.permutationP(collapses(r3), collapses(baseline));
    }

    double klP() {
      return Significance.permutationP(kls(r3), kls(baseline));
    }

    /** Mean over runs of each run's mean per-step mismatch KL, R3 over baseline. */
    double klRatio() {
      return Stats.of(kls(r3)).mean() / Stats.of(kls(baseline)).mean();
    }
  }

  /** Pairs every "X+R3" with "X" of the same setting, in report order. */
  static List<Pair> pairs(List<ExperimentSummary> exps) {
    List<Pair> out = new ArrayList<>();
    for (ExperimentSummary e : exps) {
      String m = e.label().method();
      if (!m.endsWith("+R3")) {
        continue;
      }
      String base = m.substring(0, m.length() - "+R3".length());
      exps.stream()
          .filter(b -> b.label().method().equals(base))
          .filter(b -> b.label().setting().equals(e.label().setting()))
          .findFirst()
          .ifPresent(b -> out.add(new Pair(b, e)));
    }
    return out;
  }

  static void markdown(StringBuilder b, List<ExperimentSummary> exps) {
    b.append("## Over seeds: collapses and 95% intervals\n\n");
    b.append(
        "| method | setting | collapsed / runs started | crash steps | final accuracy (mean [95% CI]) | "
            + "best accuracy (mean [95% CI]) |\n|---|---|---|---|---|---|\n");
    for (ExperimentSummary e : exps) {
      b.append("| ")
          .append(e.label().method())
          .append(" | ")
          .append(e.label().setting())
          .append(" | ")
          .append(e.collapsed())
          .append("/")
          .append(e.runs().stream().filter(r -> r.status() != RunResult.Status.MISSING).count())
          .append(" | ")
          .append(e.crashSteps())
          .append(" | ")
          .append(withInterval(finals(e)))
          .append(" | ")
          .append(withInterval(bests(e)))
          .append(" |\n");
    }
    b.append(
        "\nIntervals: percentile bootstrap of the mean over seeds ("
            + Significance.RESAMPLES
            + " resamples, fixed seed). With three seeds an interval is coarse (a resample can take "
            + "only ten distinct means) and is no wider than the range of the seeds.\n\n");

    List<Pair> pairs = pairs(exps);
    b.append("## R3 against the same method without it: permutation tests\n\n");
    if (pairs.isEmpty()) {
      b.append("No experiment has both a method and its +R3 variant in one setting.\n\n");
    } else {
      b.append(
          "| comparison | setting | seeds | final accuracy: R3 - baseline | p (final accuracy) | "
              + "collapses: R3 vs baseline | p (collapse) | mismatch KL: R3 / baseline | p (KL) |\n"
              + "|---|---|---|---|---|---|---|---|---|\n");
      for (Pair p : pairs) {
        double diff = Stats.of(finals(p.r3())).mean() - Stats.of(finals(p.baseline())).mean();
        b.append("| ")
            .append(p.r3().label().method())
            .append(" vs ")
            .append(p.baseline().label().method())
            .append(" | ")
            .append(p.r3().label().setting())
            .append(" | ")
            .append(p.r3().runs().size())
            .append(" vs ")
            .append(p.baseline().runs().size())
            .append(" | ")
            .append(ReportWriter.num("%+.3f", diff))
            .append(" | ")
            .append(ReportWriter.num("%.3f", p.finalAccuracyP()))
            .append(" | ")
            .append(p.r3().collapsed())
            .append(" vs ")
            .append(p.baseline().collapsed())
            .append(" | ")
            .append(ReportWriter.num("%.3f", p.collapseP()))
            .append(" | ")
            .append(ReportWriter.num("%.3g", p.klRatio()))
            .append(" | ")
            .append(ReportWriter.num("%.3f", p.klP()))
            .append(" |\n");
      }
      b.append(
          "\nTwo-sided permutation test of the difference of means (collapse: of the 0/1 collapse "
              + "indicator; KL: of each run's mean per-step mismatch KL), exact over every relabelling "
              + "of the pooled runs. With 3 runs a side the "
              + "smallest p it can give is 0.1: three seeds cannot show significance at 0.05 however "
              + "large the effect.\n\n");
    }

    b.append("## The mechanism: mismatch before a collapse, against the R3 twin\n\n");
    List<String> rows = mechanismRows(exps, pairs);
    if (rows.isEmpty()) {
      b.append(
          "No run with an R3 twin collapsed: there is no crash to look before. The mismatch curves "
              + "above (KL, F(2), the 99th percentile of |log ratio|) compare the methods over whole "
              + "runs.\n\n");
    } else {
      b.append(
          "| run (collapsed) | crash step | steps | KL | F(2) | p99 |log ratio| | twin (R3) KL | twin F(2) | "
              + "twin p99 |\n|---|---|---|---|---|---|---|---|---|\n");
      rows.forEach(b::append);
      b.append(
          "\nEach row averages the per-step measures over the learner steps named (the "
              + WINDOW
              + " before the crash, and the "
              + WINDOW
              + " before those) for the run that collapsed and for its twin: the same method with R3, "
              + "same setting, same seed. F(2) is the fraction of tokens whose train/infer ratio "
              + "leaves [0.5, 2].\n\n");
    }
  }

  private static List<String> mechanismRows(List<ExperimentSummary> exps, List<Pair> pairs) {
    List<String> rows = new ArrayList<>();
    for (Pair p : pairs) {
      for (RunResult r : p.baseline().runs()) {
        if (!r.collapse().collapsed()) {
          continue;
        }
        Optional<RunResult> twin =
            p.r3().runs().stream().filter(t -> t.seed() == r.seed()).findFirst();
        double crash = r.collapse().step();
        for (int w = 2; w >= 1; w--) {
          double from = crash - w * WINDOW;
          double to = crash - (w - 1) * WINDOW;
          rows.add(
              String.format(
                  Locale.ROOT,
                  "| %s seed %d | %d | [%d, %d) | %s | %s | %s | %s | %s | %s |\n",
                  r.experiment(),
                  r.seed(),
                  (long) crash,
                  (long) from,
                  (long) to,
                  ReportWriter.num("%.2e", window(r, Metric.MISMATCH_KL, from, to)),
                  ReportWriter.num("%.2e", window(r, Metric.EXTREME_2, from, to)),
                  ReportWriter.num("%.3f", window(r, Metric.ABS_LOG_RATIO_P99, from, to)),
                  twin.map(t -> ReportWriter.num("%.2e", window(t, Metric.MISMATCH_KL, from, to)))
                      .orElse("-"),
                  twin.map(t -> ReportWriter.num("%.2e", window(t, Metric.EXTREME_2, from, to)))
                      .orElse("-"),
                  twin.map(
                          t ->
                              ReportWriter.num(
                                  "%.3f", window(t, Metric.ABS_LOG_RATIO_P99, from, to)))
                      .orElse("-")));
        }
      }
    }
    return rows;
  }

  /** The mean of a run's metric over learner steps in [from, to); NaN when none logged. */
  static double window(RunResult r, Metric m, double from, double to) {
    Series s = r.log().series(m);
    double sum = 0;
    int n = 0;
    for (int i = 0; i < s.size(); i++) {
      double x = s.steps()[i];
      if (x >= from && x < to && Double.isFinite(s.values()[i])) {
        sum += s.values()[i];
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  static JsonObject json(List<ExperimentSummary> exps) {
    JsonObject o = new JsonObject();
    JsonArray per = new JsonArray();
    for (ExperimentSummary e : exps) {
      JsonObject x = new JsonObject();
      x.addProperty("experiment", e.experiment());
      x.addProperty("collapsed", e.collapsed());
      x.addProperty("runs", e.runs().size());
      x.add("final_accuracy_ci95", interval(Significance.bootstrapMean95(finals(e))));
      x.add("best_accuracy_ci95", interval(Significance.bootstrapMean95(bests(e))));
      per.add(x);
    }
    o.add("experiments", per);
    JsonArray tests = new JsonArray();
    for (Pair p : pairs(exps)) {
      JsonObject t = new JsonObject();
      t.addProperty("r3", p.r3().experiment());
      t.addProperty("baseline", p.baseline().experiment());
      t.add("p_final_accuracy", ReportWriter.num(p.finalAccuracyP()));
      t.add("p_collapse", ReportWriter.num(p.collapseP()));
      t.add("kl_ratio", ReportWriter.num(p.klRatio()));
      t.add("p_kl", ReportWriter.num(p.klP()));
      t.addProperty("collapsed_r3", p.r3().collapsed());
      t.addProperty("collapsed_baseline", p.baseline().collapsed());
      tests.add(t);
    }
    o.add("permutation_tests", tests);
    o.addProperty("bootstrap_resamples", Significance.RESAMPLES);
    return o;
  }

  static double[] finals(ExperimentSummary e) {
    return e.runs().stream().mapToDouble(RunResult::finalAccuracy).toArray();
  }

  static double[] kls(ExperimentSummary e) {
    return e.runs().stream().mapToDouble(RunResult::meanKl).toArray();
  }

  static double[] bests(ExperimentSummary e) {
    return e.runs().stream().mapToDouble(RunResult::bestAccuracy).toArray();
  }

  /** 1 for a run that collapsed, 0 for one that finished without; a run still going is left out. */
  static double[] collapses(ExperimentSummary e) {
    return e.runs().stream()
        .mapToDouble(r -> r.collapse().collapsed() ? 1 : r.finished() ? 0 : Double.NaN)
        .toArray();
  }

  private static String withInterval(double[] xs) {
    Stats s = Stats.of(xs);
    if (s.n() == 0) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.3f ", s.mean())
        + Significance.bootstrapMean95(xs).text("%.3f");
  }

  private static JsonObject interval(Significance.Interval i) {
    JsonObject o = new JsonObject();
    o.add("low", ReportWriter.num(i.low()));
    o.add("high", ReportWriter.num(i.high()));
    return o;
  }
}
