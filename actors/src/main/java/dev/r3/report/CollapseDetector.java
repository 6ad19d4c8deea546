package dev.r3.report;

import java.util.Locale;

/**
 * Decides whether, and at which learner step, a run collapsed. One rule, applied to every run of a
 * report, written out here and printed in the report ({@link #definition()}):
 *
 * <p>A run <b>collapses at step s</b> when either
 *
 * <ol>
 *   <li><b>numerical divergence</b>: the loss or the gradient norm, finite before, is non-finite at
 *       step s and at every later step logged (NaN, infinite, or null: the pipeline writes NaN as
 *       null; a measure never finite was not measured); or
 *   <li><b>accuracy collapse</b>: the run had learned something (its best eval accuracy so far, b,
 *       is at least {@code minPeak}), the eval accuracy at step s falls below {@code fraction * b},
 *       and every eval from s through at least step s + {@code windowSteps} stays below that line.
 *       The run must have an eval at or after s + window: a drop the run did not live long enough
 *       to confirm is not called a collapse, and neither is one that recovers inside the window.
 * </ol>
 *
 * The earlier of the two steps is the crash step.
 *
 * <p>Why this shape: eval accuracy on a few dozen held-out prompts moves by several points between
 * evals, so a single low eval is noise; a fall to half the best that persists for a window is what
 * the paper's collapse curves show (accuracy never comes back). The minimum peak keeps a run that
 * never learned from "collapsing" between two near-zero values. A non-finite loss that persists is
 * collapse regardless of accuracy because training does not come back from non-finite weights; one
 * that is followed by finite steps (a skipped step) is not. The signal is eval accuracy; a run with
 * fewer than two evals falls back to the training reward mean (the report says which signal each
 * run used).
 */
final class CollapseDetector {

  /** The verdict: {@code step} is NaN when the run did not collapse. */
  record Collapse(double step, String reason) {
    static final Collapse NONE = new Collapse(Double.NaN, "");

    boolean collapsed() {
      return !Double.isNaN(step);
    }
  }

  static final CollapseDetector DEFAULT = new CollapseDetector(0.5, 20, 0.1);

  private final double fraction;
  private final int windowSteps;
  private final double minPeak;

  /**
   * @param fraction a value below {@code fraction * best} counts as collapsed (0 < fraction < 1)
   * @param windowSteps learner steps the drop must persist for (>= 0)
   * @param minPeak the best value a run must have reached before it can collapse
   */
  CollapseDetector(double fraction, int windowSteps, double minPeak) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException("collapse fraction must be in (0, 1), got " + fraction);
    }
    if (windowSteps < 0) {
      throw new IllegalArgumentException("collapse window-steps must be >= 0, got " + windowSteps);
    }
    this.fraction = fraction;
    this.windowSteps = windowSteps;
    this.minPeak = minPeak;
  }

  double fraction() {
    return fraction;
  }

  int windowSteps() {
    return windowSteps;
  }

  double minPeak() {
    return minPeak;
  }

  /**
   * The signal the rule watches for this run: eval accuracy, or reward when there are < 2 evals.
   */
  static Metric signal(MetricsLog log) {
    return log.series(Metric.EVAL_ACCURACY).size() >= 2 ? Metric.EVAL_ACCURACY : Metric.REWARD;
  }

  /** Applies the rule to a run's log. */
  Collapse detect(MetricsLog log) {
    double nonFinite =
        earliest(log.nonFiniteFrom(Metric.LOSS), log.nonFiniteFrom(Metric.GRAD_NORM));
    Metric signal = signal(log);
    return detect(
        log.series(signal), nonFinite, signal == Metric.EVAL_ACCURACY ? "eval accuracy" : "reward");
  }

  /**
   * Applies the rule to a signal and the step from which loss or gradient norm stayed non-finite
   * (-1: never).
   *
   * @param signalName how the verdict names the signal ("eval accuracy")
   */
  Collapse detect(Series signal, double firstNonFiniteStep, String signalName) {
    Collapse drop = drop(signal, signalName);
    if (firstNonFiniteStep >= 0 && !(drop.step() < firstNonFiniteStep)) {
      return new Collapse(firstNonFiniteStep, "non-finite loss or gradient norm");
    }
    return drop;
  }

  private Collapse drop(Series s, String signalName) {
    double best = Double.NEGATIVE_INFINITY;
    double[] x = s.steps();
    double[] y = s.values();
    for (int i = 0; i < y.length; i++) {
      best = Math.max(best, y[i]);
      double line = fraction * best;
      if (best < minPeak || !(y[i] < line)) {
        continue;
      }
      // A candidate: confirm that it stays below the line through step x[i] + window.
      boolean confirmed = false;
      for (int j = i; j < y.length; j++) {
        if (!(y[j] < line)) {
          break; // recovered inside the window
        }
        if (x[j] >= x[i] + windowSteps) {
          confirmed = true;
          break;
        }
      }
      if (confirmed) {
        return new Collapse(
            x[i],
            String.format(
                Locale.ROOT,
                "%s %.3g < %.2f x best %.3g for >= %d steps",
                signalName,
                y[i],
                fraction,
                best,
                windowSteps));
      }
    }
    return Collapse.NONE;
  }

  private static double earliest(double a, double b) {
    if (a < 0) {
      return b;
    }
    return b < 0 ? a : Math.min(a, b);
  }

  /** The rule in words, with this detector's numbers, for the report. */
  String definition() {
    return String.format(
        Locale.ROOT,
        "A run collapses at step s when (1) its loss or gradient norm, finite before, is non-finite (NaN, "
            + "infinite, or null in the log) at s and at every later step it logged (numerical divergence), "
            + "or (2) it had reached a best eval accuracy b >= %.2f, its eval accuracy at s falls below "
            + "%.2f x b, and every eval from s through at least step s + %d stays below that line (a drop "
            + "the run did not outlive by %d steps, or that recovers within them, is not a collapse). "
            + "The crash step is the earlier of the two. The signal is eval accuracy; a run with fewer than "
            + "two evals uses the training reward mean instead.",
        minPeak,
        fraction,
        windowSteps,
        windowSteps);
  }
}
