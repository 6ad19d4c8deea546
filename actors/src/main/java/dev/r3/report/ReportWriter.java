package dev.r3.report;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Writes {@code report.md} (the table, the collapse definition, the plots, the trained model's
 * mismatch table, every run's status and the log tail of each failure), {@code report.json} (the
 * same numbers, non-finite ones as null) and the PNG plots into one folder. It only reads results:
 * regenerating a report never touches a run.
 */
final class ReportWriter {
  static final String SPREAD =
      "mean ± sample standard deviation over seeds (n - 1 in the denominator; "
          + "one seed shows no spread); report.json adds the min-max range";

  private ReportWriter() {}

  /** Writes the report for {@code experiments} into {@code out}; returns the path of report.md. */
  static Path write(
      Path out, String suite, CollapseDetector detector, List<ExperimentSummary> experiments) {
    return write(out, suite, detector, experiments, List.of());
  }

  /** As above, with the pilot suites that chose this suite's regime listed at the end. */
  static Path write(
      Path out,
      String suite,
      CollapseDetector detector,
      List<ExperimentSummary> experiments,
      List<PilotsSection.Pilot> pilots) {
    try {
      Files.createDirectories(out);
      List<Charts.Chart> charts = Charts.write(out, experiments);
      Path md = out.resolve("report.md");
      Files.writeString(
          md,
          markdown(suite, detector, experiments, charts, out) + PilotsSection.markdown(pilots),
          StandardCharsets.UTF_8);
      Files.writeString(
          out.resolve("report.json"),
          new GsonBuilder()
              .setPrettyPrinting()
              .create()
              .toJson(json(suite, detector, experiments, charts)),
          StandardCharsets.UTF_8);
      return md;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report into " + out, e);
    }
  }

  // ---- report.md

  static String markdown(
      String suite,
      CollapseDetector detector,
      List<ExperimentSummary> exps,
      List<Charts.Chart> charts,
      Path out) {
    StringBuilder b = new StringBuilder();
    int runs = exps.stream().mapToInt(e -> e.runs().size()).sum();
    int finished = exps.stream().mapToInt(ExperimentSummary::finished).sum();
    b.append("# R3 comparison: suite `").append(suite).append("`\n\n");
    b.append("Generated ")
        .append(Instant.now())
        .append(". ")
        .append(exps.size())
        .append(" experiments, ")
        .append(finished)
        .append(" of ")
        .append(runs)
        .append(" runs finished.\n\n");

    b.append("## Results\n\n");
    b.append(
        "| method | setting | runs finished | final eval accuracy | best accuracy | crash step | "
            + "mismatch KL | F(2) | router disagreement |\n");
    b.append("|---|---|---|---|---|---|---|---|---|\n");
    for (ExperimentSummary e : exps) {
      b.append("| ")
          .append(e.label().method())
          .append(" | ")
          .append(e.label().setting())
          .append(" | ")
          .append(e.finished())
          .append("/")
          .append(e.runs().size())
          .append(" | ")
          .append(e.finalAccuracy().text("%.3f"))
          .append(" | ")
          .append(e.bestAccuracy().text("%.3f"))
          .append(" | ")
          .append(e.crashSteps())
          .append(" | ")
          .append(e.mismatchKl().text("%.2e"))
          .append(" | ")
          .append(e.extreme2().text("%.2e"))
          .append(" | ")
          .append(e.routerDisagreement().text("%.3g"))
          .append(" |\n");
    }
    b.append("\nHow to read it: numbers are ")
        .append(SPREAD)
        .append(
            ". Final eval accuracy counts finished "
                + "runs only (\"runs finished\" says how many). Best accuracy is the highest eval accuracy a run "
                + "logged. Mismatch KL (k3 estimator), F(2) (fraction of tokens with max(rho, 1/rho) > 2) and "
                + "router disagreement (fraction of (token, layer) top-k sets that differ between engines) are, "
                + "per run, the mean over the learner steps that logged a finite value. Crash step: per seed, the "
                + "step at which the run collapsed, \"-\" for none.\n\n");

    b.append("## Collapse\n\n").append(detector.definition()).append("\n\n");
    boolean anyCollapse = false;
    for (ExperimentSummary e : exps) {
      for (RunResult r : e.runs()) {
        if (r.collapse().collapsed()) {
          if (!anyCollapse) {
            b.append("| experiment | seed | step | why |\n|---|---|---|---|\n");
            anyCollapse = true;
          }
          b.append("| ")
              .append(r.experiment())
              .append(" | ")
              .append(r.seed())
              .append(" | ")
              .append((long) r.collapse().step())
              .append(" | ")
              .append(r.collapse().reason())
              .append(" |\n");
        }
      }
    }
    b.append(anyCollapse ? "\n" : "No run collapsed.\n\n");
    SeedStatistics.markdown(b, exps);

    b.append("## Plots\n\n");
    if (charts.isEmpty()) {
      b.append("No run logged any step yet: nothing to plot.\n\n");
    }
    for (Charts.Chart c : charts) {
      b.append("![")
          .append(c.title())
          .append("](")
          .append(out.relativize(c.file()))
          .append(")\n\n");
    }
    if (charts.stream()
        .noneMatch(c -> c.file().getFileName().toString().contains("disagreement-layers"))) {
      b.append(
          "Router disagreement per layer: not logged by any run's training metrics and no mismatch.json "
              + "has it.\n\n");
    }

    mismatchSection(b, exps);
    runsSection(b, exps);
    return b.toString();
  }

  private static void mismatchSection(StringBuilder b, List<ExperimentSummary> exps) {
    b.append("## Mismatch of the trained model (dense, MoE, MoE+R3)\n\n");
    boolean any = false;
    for (ExperimentSummary e : exps) {
      for (RunResult r : e.runs()) {
        if (r.mismatch() == null) {
          continue;
        }
        if (!any) {
          b.append(
              "| experiment | seed | rollout | model | mismatch KL | F(2) | router disagreement | "
                  + "tokens differing in >= 1 layer | tokens |\n|---|---|---|---|---|---|---|---|---|\n");
          any = true;
        }
        for (MismatchFile.Row m : r.mismatch().rows()) {
          b.append("| ")
              .append(r.experiment())
              .append(" | ")
              .append(r.seed())
              .append(" | ")
              .append(
                  r.mismatch().rolloutPrecision().isEmpty() ? "?" : r.mismatch().rolloutPrecision())
              .append(" | ")
              .append(m.model())
              .append(" | ")
              .append(num("%.2e", m.kl()))
              .append(" | ")
              .append(num("%.2e", m.extreme2()))
              .append(" | ")
              .append(num("%.3g", m.routerDisagreement()))
              .append(" | ")
              .append(num("%.3g", m.tokenAnyLayer()))
              .append(" | ")
              .append(num("%.0f", m.tokens()))
              .append(" |\n");
        }
      }
    }
    b.append(
        any
            ? "\n"
            : "Not measured: no run folder holds a mismatch.json (write one with "
                + "`./r3 mismatch --checkpoint DIR --json <run>/mismatch.json`).\n\n");
  }

  private static void runsSection(StringBuilder b, List<ExperimentSummary> exps) {
    b.append(
        "## Runs\n\n| experiment | seed | status | last step | final accuracy | best accuracy | crash step "
            + "| collapse signal | RL wall time (s) | process time (s) | folder |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (ExperimentSummary e : exps) {
      for (RunResult r : e.runs()) {
        String status =
            r.status().name().toLowerCase(Locale.ROOT)
                + (r.status() == RunResult.Status.FAILED ? " (" + r.exitWhy() + ")" : "")
                + (r.truncated() ? ", last line truncated" : "");
        b.append("| ")
            .append(r.experiment())
            .append(" | ")
            .append(r.seed())
            .append(" | ")
            .append(status)
            .append(" | ")
            .append((long) r.lastStep())
            .append(" | ")
            .append(num("%.3f", r.finalAccuracy()))
            .append(" | ")
            .append(num("%.3f", r.bestAccuracy()))
            .append(" | ")
            .append(r.collapse().collapsed() ? String.valueOf((long) r.collapse().step()) : "-")
            .append(" | ")
            .append(r.collapseSignal() == Metric.EVAL_ACCURACY ? "eval accuracy" : "reward")
            .append(" | ")
            .append(num("%.0f", r.wallSeconds()))
            .append(" | ")
            .append(num("%.0f", r.processSeconds()))
            .append(" | `")
            .append(r.runDir())
            .append("` |\n");
      }
    }
    b.append('\n');
    for (ExperimentSummary e : exps) {
      for (RunResult r : e.runs()) {
        if (r.status() == RunResult.Status.FAILED) {
          b.append("### Failed: ")
              .append(r.experiment())
              .append(" seed ")
              .append(r.seed())
              .append(" (")
              .append(r.exitWhy())
              .append(")\n\n```\n")
              .append(r.logTail())
              .append("\n```\n\n");
        }
      }
    }
  }

  /** A measured number in {@code fmt}, "-" when it was not measured (non-finite). */
  static String num(String fmt, double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, fmt, v) : "-";
  }

  // ---- report.json

  static JsonObject json(
      String suite,
      CollapseDetector detector,
      List<ExperimentSummary> exps,
      List<Charts.Chart> charts) {
    JsonObject o = new JsonObject();
    o.addProperty("suite", suite);
    o.addProperty("generated", Instant.now().toString());
    o.addProperty("spread", SPREAD);
    JsonObject collapse = new JsonObject();
    collapse.addProperty("definition", detector.definition());
    collapse.add("fraction", num(detector.fraction()));
    collapse.addProperty("window_steps", detector.windowSteps());
    collapse.add("min_peak", num(detector.minPeak()));
    o.add("collapse", collapse);
    JsonArray experiments = new JsonArray();
    JsonArray runs = new JsonArray();
    for (ExperimentSummary e : exps) {
      JsonObject x = new JsonObject();
      x.addProperty("experiment", e.experiment());
      x.addProperty("method", e.label().method());
      x.addProperty("setting", e.label().setting());
      x.addProperty("mini_steps", e.label().miniSteps());
      x.addProperty("runs", e.runs().size());
      x.addProperty("finished", e.finished());
      x.addProperty("collapsed", e.collapsed());
      x.add("final_accuracy", stats(e.finalAccuracy()));
      x.add("best_accuracy", stats(e.bestAccuracy()));
      x.add("mismatch_kl", stats(e.mismatchKl()));
      x.add("extreme_2", stats(e.extreme2()));
      x.add("router_disagreement", stats(e.routerDisagreement()));
      x.add("router_disagreement_layers", array(e.layerDisagreement()));
      x.add("trained_model_disagreement_layers", array(e.trainedModelLayerDisagreement()));
      JsonArray crash = new JsonArray();
      e.runs()
          .forEach(
              r ->
                  crash.add(
                      r.collapse().collapsed() ? num(r.collapse().step()) : JsonNull.INSTANCE));
      x.add("crash_steps", crash);
      experiments.add(x);
      e.runs().forEach(r -> runs.add(run(r)));
    }
    o.add("experiments", experiments);
    o.add("runs", runs);
    o.add("statistics", SeedStatistics.json(exps));
    JsonArray plots = new JsonArray();
    charts.forEach(c -> plots.add(c.file().getFileName().toString()));
    o.add("plots", plots);
    return o;
  }

  private static JsonObject run(RunResult r) {
    JsonObject o = new JsonObject();
    o.addProperty("experiment", r.experiment());
    o.addProperty("seed", r.seed());
    o.addProperty("status", r.status().name().toLowerCase(Locale.ROOT));
    o.addProperty("exit_code", r.exitCode());
    o.addProperty("exit_why", r.exitWhy());
    o.addProperty("run_dir", r.runDir().toString());
    o.add("last_step", num(r.lastStep()));
    o.addProperty("truncated", r.truncated());
    o.add("initial_accuracy", num(r.initialAccuracy()));
    o.add("final_accuracy", num(r.finalAccuracy()));
    o.add("best_accuracy", num(r.bestAccuracy()));
    o.add("mismatch_kl", num(r.meanKl()));
    o.add("extreme_2", num(r.meanExtreme2()));
    o.add("router_disagreement", num(r.meanDisagreement()));
    o.add("router_disagreement_layers", array(r.layerDisagreement()));
    JsonObject c = new JsonObject();
    c.add("step", r.collapse().collapsed() ? num(r.collapse().step()) : JsonNull.INSTANCE);
    c.addProperty("reason", r.collapse().reason());
    c.addProperty(
        "signal", r.collapseSignal() == Metric.EVAL_ACCURACY ? "eval accuracy" : "reward");
    o.add("collapse", c);
    o.add("wall_seconds", num(r.wallSeconds()));
    o.add("process_seconds", num(r.processSeconds()));
    JsonObject ledger = new JsonObject();
    r.ledger().forEach((k, v) -> ledger.add(k, num(v)));
    o.add("ledger", ledger);
    if (r.mismatch() != null) {
      JsonObject m = new JsonObject();
      m.addProperty("rollout_precision", r.mismatch().rolloutPrecision());
      for (MismatchFile.Row row : r.mismatch().rows()) {
        JsonObject x = new JsonObject();
        x.add("kl", num(row.kl()));
        x.add("extreme_2", num(row.extreme2()));
        x.add("router_disagreement", num(row.routerDisagreement()));
        x.add("token_any_layer", num(row.tokenAnyLayer()));
        x.add("tokens", num(row.tokens()));
        x.add("router_disagreement_per_layer", array(row.perLayer()));
        m.add(row.model(), x);
      }
      o.add("mismatch", m);
    } else {
      o.add("mismatch", JsonNull.INSTANCE);
    }
    if (r.status() == RunResult.Status.FAILED) {
      o.addProperty("log_tail", r.logTail());
    }
    return o;
  }

  private static JsonObject stats(Stats s) {
    JsonObject o = new JsonObject();
    o.addProperty("n", s.n());
    o.add("mean", num(s.mean()));
    o.add("std", num(s.std()));
    o.add("min", num(s.min()));
    o.add("max", num(s.max()));
    return o;
  }

  private static JsonArray array(double[] xs) {
    JsonArray a = new JsonArray();
    for (double x : xs) {
      a.add(num(x));
    }
    return a;
  }

  /** JSON has no NaN: a number that was not measured is null. */
  static JsonElement num(double v) {
    return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
  }
}
