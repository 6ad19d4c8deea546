package dev.r3.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's PNG plots, drawn by XChart: per setting (M = 1, M = 8, ...) one chart per measure
 * with one line per method, averaged over seeds. Mismatch KL is drawn on a logarithmic axis, where
 * zero, negative and non-finite points cannot be drawn and are skipped (the reader left out
 * non-finite ones already). A chart with nothing to draw is not written; the report says so.
 */
final class Charts {
  static {
    System.setProperty("java.awt.headless", "true"); // runs on servers without a display
  }

  /**
   * Per-step measures (reward, mismatch) are noisy at a batch of a few groups: curves longer than
   * {@link #SMOOTH_ABOVE} points are drawn as a trailing mean over {@link #SMOOTH} steps, and the
   * title says so. Eval accuracy (a few points) is drawn as logged; report.json keeps the raw
   * numbers.
   */
  private static final int SMOOTH = 5;

  private static final int SMOOTH_ABOVE = 30;
  private static final int WIDTH = 900;
  private static final int HEIGHT = 520;

  private Charts() {}

  /** One chart file: what it shows and where it went. */
  record Chart(String title, Path file) {}

  /**
   * Writes every chart for {@code experiments} into {@code dir}; returns those written, in report
   * order.
   */
  static List<Chart> write(Path dir, List<ExperimentSummary> experiments) {
    List<Chart> out = new ArrayList<>();
    Map<String, List<ExperimentSummary>> bySetting = new LinkedHashMap<>();
    for (ExperimentSummary e : experiments) {
      bySetting.computeIfAbsent(e.label().setting(), k -> new ArrayList<>()).add(e);
    }
    Map<String, String> slugs = slugs(bySetting);
    for (Map.Entry<String, List<ExperimentSummary>> g : bySetting.entrySet()) {
      String setting = g.getKey();
      String slug = slugs.get(setting);
      List<ExperimentSummary> exps = g.getValue();
      curve(
          dir,
          out,
          exps,
          Metric.REWARD,
          "Training reward vs step (" + setting + ")",
          "reward (mean)",
          "reward-" + slug,
          false);
      curve(
          dir,
          out,
          exps,
          Metric.EVAL_ACCURACY,
          "Eval accuracy vs step (" + setting + ")",
          "eval accuracy",
          "accuracy-" + slug,
          false);
      curve(
          dir,
          out,
          exps,
          Metric.MISMATCH_KL,
          "Training-inference mismatch KL vs step (" + setting + ")",
          "mismatch KL (k3), log scale",
          "mismatch-kl-" + slug,
          true);
      curve(
          dir,
          out,
          exps,
          Metric.EXTREME_2,
          "Extreme-token fraction F(2) vs step (" + setting + ")",
          "F(2)",
          "extreme2-" + slug,
          false);
      curve(
          dir,
          out,
          exps,
          Metric.ROUTER_DISAGREEMENT,
          "Router disagreement vs step (" + setting + ")",
          "router disagreement",
          "router-disagreement-" + slug,
          false);
      curve(
          dir,
          out,
          exps,
          Metric.ABS_LOG_RATIO_P99,
          "|log pi_train - log pi_infer|, 99th percentile of each step's tokens (" + setting + ")",
          "p99 of |log ratio|, log scale",
          "abs-log-ratio-p99-" + slug,
          true);
      layers(
          dir,
          out,
          exps,
          ExperimentSummary::layerDisagreement,
          "Router disagreement per layer during training (" + setting + ", mean over run)",
          "router-disagreement-layers-" + slug);
      layers(
          dir,
          out,
          exps,
          ExperimentSummary::trainedModelLayerDisagreement,
          "Router disagreement per layer of the trained model (r3 mismatch, no replay; "
              + setting
              + ")",
          "trained-model-disagreement-layers-" + slug);
    }
    return out;
  }

  private static void curve(
      Path dir,
      List<Chart> out,
      List<ExperimentSummary> exps,
      Metric m,
      String title,
      String yTitle,
      String file,
      boolean logY) {
    XYChart chart = chart(title, "learner step", yTitle);
    chart.getStyler().setYAxisLogarithmic(logY);
    boolean smooth =
        m != Metric.EVAL_ACCURACY
            && exps.stream().anyMatch(e -> e.meanCurve(m).size() > SMOOTH_ABOVE);
    Function<ExperimentSummary, Series> pick =
        e -> {
          Series s = logY ? e.meanCurve(m).positive() : e.meanCurve(m);
          return smooth ? s.movingAverage(SMOOTH) : s;
        };
    if (smooth) {
      chart.setTitle(title + ", mean of last " + SMOOTH + " steps");
    }
    boolean any = addSeries(chart, exps, pick);
    if (any) {
      out.add(save(chart, chart.getTitle(), dir.resolve(file + ".png")));
    }
  }

  private static void layers(
      Path dir,
      List<Chart> out,
      List<ExperimentSummary> exps,
      Function<ExperimentSummary, double[]> perLayer,
      String title,
      String file) {
    XYChart chart = chart(title, "MoE layer", "router disagreement");
    boolean any =
        addSeries(
            chart,
            exps,
            e -> {
              double[] y = perLayer.apply(e);
              List<double[]> pts = new ArrayList<>();
              for (int l = 0; l < y.length; l++) {
                if (Double.isFinite(y[l])) {
                  pts.add(new double[] {l, y[l]});
                }
              }
              return new Series(
                  pts.stream().mapToDouble(p -> p[0]).toArray(),
                  pts.stream().mapToDouble(p -> p[1]).toArray());
            });
    if (any) {
      chart.getStyler().setXAxisDecimalPattern("0");
      out.add(save(chart, title, dir.resolve(file + ".png")));
    }
  }

  private static XYChart chart(String title, String x, String y) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(x)
            .yAxisTitle(y)
            .build();
    chart.getStyler().setLegendPosition(LegendPosition.OutsideE);
    chart.getStyler().setMarkerSize(4);
    return chart;
  }

  /** One line per experiment with at least one point; false when there was nothing to draw. */
  private static boolean addSeries(
      XYChart chart, List<ExperimentSummary> exps, Function<ExperimentSummary, Series> pick) {
    Set<String> names = new HashSet<>();
    boolean any = false;
    for (ExperimentSummary e : exps) {
      Series s = pick.apply(e);
      if (s.isEmpty()) {
        continue;
      }
      // Two experiments of one method in one setting (e.g. bf16 and fp8 rollouts) need distinct
      // names.
      String name =
          names.add(e.label().method())
              ? e.label().method()
              : e.label().method() + " (" + e.experiment() + ")";
      XYSeries series = chart.addSeries(name, s.steps(), s.values());
      if (s.size() > 30) {
        series.setMarker(SeriesMarkers.NONE); // a dense curve reads better as a line
      }
      any = true;
    }
    return any;
  }

  private static Chart save(XYChart chart, String title, Path file) {
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write chart " + file, e);
    }
    return new Chart(title, file);
  }

  /** "m1", "m8" when the settings differ in M; otherwise a file-safe form of the whole setting. */
  private static Map<String, String> slugs(Map<String, List<ExperimentSummary>> bySetting) {
    Map<String, String> byM = new LinkedHashMap<>();
    for (Map.Entry<String, List<ExperimentSummary>> g : bySetting.entrySet()) {
      byM.put(g.getKey(), "m" + g.getValue().get(0).label().miniSteps());
    }
    if (new HashSet<>(byM.values()).size() == byM.size()) {
      return byM;
    }
    Map<String, String> full = new LinkedHashMap<>();
    for (String s : bySetting.keySet()) {
      full.put(
          s, s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.]+", "-").replaceAll("^-|-$", ""));
    }
    return full;
  }
}
