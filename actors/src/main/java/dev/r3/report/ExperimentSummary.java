package dev.r3.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * One row of the report: an experiment aggregated over its seeds. Each number is first reduced per
 * run (see {@link RunResult}) and then summarised over seeds by {@link Stats} (mean, sample
 * standard deviation, min-max); curves are averaged over the seeds that logged each step, so where
 * a seed stopped early (it crashed) the curve continues as the mean of the others and may jump
 * there.
 */
record ExperimentSummary(String experiment, ExperimentLabel label, List<RunResult> runs) {

  int finished() {
    return (int) runs.stream().filter(RunResult::finished).count();
  }

  int collapsed() {
    return (int) runs.stream().filter(r -> r.collapse().collapsed()).count();
  }

  Stats finalAccuracy() {
    return stat(RunResult::finalAccuracy);
  }

  Stats bestAccuracy() {
    return stat(RunResult::bestAccuracy);
  }

  Stats mismatchKl() {
    return stat(RunResult::meanKl);
  }

  Stats extreme2() {
    return stat(RunResult::meanExtreme2);
  }

  Stats routerDisagreement() {
    return stat(RunResult::meanDisagreement);
  }

  /** Per seed: the crash step, or "-" (e.g. "-, 120, -"); "-" alone when no run collapsed. */
  String crashSteps() {
    if (collapsed() == 0) {
      return "-";
    }
    return String.join(
        ", ",
        runs.stream()
            .map(r -> r.collapse().collapsed() ? String.valueOf((long) r.collapse().step()) : "-")
            .toList());
  }

  /** The metric averaged over seeds at each step some seed logged. */
  Series meanCurve(Metric m) {
    return mean(runs.stream().map(r -> r.log().series(m)).toList());
  }

  /** Per-layer disagreement averaged over seeds; empty when no run logged layers. */
  double[] layerDisagreement() {
    int layers = runs.stream().mapToInt(r -> r.layerDisagreement().length).max().orElse(0);
    double[] out = new double[layers];
    for (int l = 0; l < layers; l++) {
      final int layer = l;
      out[l] =
          Stats.of(
                  runs.stream()
                      .filter(r -> r.layerDisagreement().length > layer)
                      .mapToDouble(r -> r.layerDisagreement()[layer])
                      .toArray())
              .mean();
    }
    return out;
  }

  /**
   * Per-layer router disagreement of the trained model without replay (the "moe" row of each run's
   * mismatch.json), averaged over seeds; empty when no run was measured.
   */
  double[] trainedModelLayerDisagreement() {
    List<double[]> per =
        runs.stream()
            .filter(r -> r.mismatch() != null)
            .flatMap(r -> r.mismatch().rows().stream())
            .filter(row -> row.model().equals("moe"))
            .map(MismatchFile.Row::perLayer)
            .filter(a -> a.length > 0)
            .toList();
    int layers = per.stream().mapToInt(a -> a.length).max().orElse(0);
    double[] out = new double[layers];
    for (int l = 0; l < layers; l++) {
      final int layer = l;
      out[l] =
          Stats.of(per.stream().filter(a -> a.length > layer).mapToDouble(a -> a[layer]).toArray())
              .mean();
    }
    return out;
  }

  private Stats stat(ToDoubleFunction<RunResult> f) {
    return Stats.of(runs.stream().mapToDouble(f).toArray());
  }

  static Series mean(List<Series> curves) {
    TreeMap<Double, double[]> acc = new TreeMap<>(); // step -> {sum, count}
    for (Series s : curves) {
      for (int i = 0; i < s.size(); i++) {
        double[] a = acc.computeIfAbsent(s.steps()[i], k -> new double[2]);
        a[0] += s.values()[i];
        a[1]++;
      }
    }
    double[] x = acc.keySet().stream().mapToDouble(Double::doubleValue).toArray();
    double[] y = acc.values().stream().mapToDouble(a -> a[0] / a[1]).toArray();
    return new Series(x, y);
  }

  /** Groups runs by experiment, keeping the order of {@code order}. */
  static List<ExperimentSummary> of(
      List<String> order, Map<String, ExperimentLabel> labels, List<RunResult> runs) {
    Map<String, List<RunResult>> by = new TreeMap<>();
    for (RunResult r : runs) {
      by.computeIfAbsent(r.experiment(), k -> new ArrayList<>()).add(r);
    }
    return order.stream()
        .filter(by::containsKey)
        .map(e -> new ExperimentSummary(e, labels.get(e), List.copyOf(by.get(e))))
        .toList();
  }

  @Override
  public String toString() {
    return experiment
        + " "
        + label
        + " runs="
        + runs.size()
        + " layers="
        + Arrays.toString(layerDisagreement());
  }
}
